import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One POST the receiver got, and whether its Standard Webhooks signature checked out. */
export interface ReceivedDelivery {
  readonly id: string;
  readonly timestamp: string;
  readonly body: string;
  /** The event, as parsed from the body once the signature is verified; undefined when it failed. */
  readonly event:
    { id: string; type: string; occurred_at: string; data: Record<string, unknown> } | undefined;
  readonly verified: boolean;
  /** The status the receiver answered. */
  readonly answered: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedDelivery[];
  /** The signing secret to verify with (from the webhook's create answer). */
  setSecret(secret: string): void;
  /** Answer `status` to the next `count` deliveries (Infinity: until told otherwise), then 204. */
  refuse(status: number, count?: number): void;
  /** Resolves with the first delivery matching `match`, or rejects after `timeoutMs`. */
  waitFor(match: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  stop(): Promise<void>;
}

/**
 * A webhook endpoint on 127.0.0.1 that verifies every delivery with the reference Standard Webhooks
 * library (not with this project's signing code) and can refuse deliveries to make them retry.
 */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  let verifier: Webhook | undefined;
  let refusals = { status: 503, left: 0 };
  const waiters = new Set<() => void>();

  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const header = (name: string) => String(request.headers[name] ?? '');
      const headers = {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      };
      let event: ReceivedDelivery['event'];
      try {
        event = verifier?.verify(body, headers) as ReceivedDelivery['event'];
      } catch {
        event = undefined;
      }
      const answered = refusals.left > 0 ? refusals.status : 204;
      if (refusals.left > 0) refusals = { ...refusals, left: refusals.left - 1 };
      received.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        body,
        event,
        verified: event !== undefined,
        answered,
      });
      response.writeHead(answered).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    setSecret: (secret) => {
      verifier = new Webhook(secret);
    },
    refuse: (status, count = Infinity) => {
      refusals = { status, left: count };
    },
    waitFor: (match, timeoutMs = 30_000) =>
      new Promise((resolveWait, reject) => {
        const check = () => {
          const found = received.find(match);
          if (!found) return;
          cleanup();
          resolveWait(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching webhook delivery within ${timeoutMs} ms (got ${received.length})`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    stop: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
