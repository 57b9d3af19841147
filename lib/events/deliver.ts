import { logInfo } from '../log';
import type { Delivery, Webhook } from '../model';
import { safeFetch } from '../refresh/safeFetch';
import { tokenUrlProblem } from '../refresh/addressPolicy';
import type { Services } from '../services';
import { webhookSecretBinding } from './binding';
import type { DeliveryJob } from './ports';
import { signedHeaders } from './signing';

type Deps = Pick<Services, 'webhooks' | 'deliveries' | 'envelope' | 'config'>;

/** The longest a retry waits: SQS's largest visibility timeout (12 hours). */
const MAX_RETRY_DELAY_SECONDS = 12 * 3600;

export type DeliveryOutcome =
  /** Nothing more to do with this job: delivered, failed for good, or no longer wanted. */
  | { readonly kind: 'done'; readonly delivery?: Delivery }
  /** Try again after this long (the queue keeps the job). */
  | { readonly kind: 'retry'; readonly afterSeconds: number; readonly delivery: Delivery };

/**
 * One attempt at one delivery. Any 2xx answer delivers it; anything else (another status, a
 * network error, a timeout) is retried with exponential backoff, the first retry after
 * WEBHOOK_FIRST_RETRY_SECONDS (30), doubling up to 12 hours, until WEBHOOK_RETRY_FOR_SECONDS
 * (24 hours) have passed since the event; then the delivery is kept as `failed`. A job whose
 * delivery is already settled (a duplicate from the queue) does nothing.
 */
export async function deliverWebhook(
  deps: Deps,
  job: DeliveryJob,
  now: () => Date = () => new Date(),
): Promise<DeliveryOutcome> {
  const delivery = await deps.deliveries.get(job.webhookId, job.eventId);
  if (!delivery || delivery.status !== 'pending') return { kind: 'done' };
  const webhook = await deps.webhooks.get(job.tenantId, job.webhookId);
  if (!webhook || !webhook.enabled) {
    return settle(deps, delivery, {
      status: 'failed',
      error: webhook ? 'the webhook was disabled' : 'the webhook was deleted',
      code: null,
      at: now(),
    });
  }
  const attempt = await post(deps, webhook, delivery, now());
  const at = now();
  if (attempt.ok) return settle(deps, delivery, { status: 'delivered', error: null, code: attempt.code, at });
  const attempts = delivery.attempts + 1;
  const delay = Math.min(deps.config.webhookFirstRetrySeconds * 2 ** (attempts - 1), MAX_RETRY_DELAY_SECONDS);
  const retryUntil = Date.parse(delivery.createdAt) + deps.config.webhookRetryForSeconds * 1000;
  if (at.getTime() >= retryUntil) {
    return settle(deps, delivery, { status: 'failed', error: attempt.error, code: attempt.code, at });
  }
  const next: Delivery = {
    ...delivery,
    attempts,
    lastStatusCode: attempt.code,
    lastError: attempt.error,
    lastAttemptAt: at.toISOString(),
    nextAttemptAt: new Date(at.getTime() + delay * 1000).toISOString(),
  };
  await deps.deliveries.update(next, expiry(deps, at));
  return { kind: 'retry', afterSeconds: delay, delivery: next };
}

async function settle(
  deps: Deps,
  delivery: Delivery,
  outcome: { status: 'delivered' | 'failed'; error: string | null; code: number | null; at: Date },
): Promise<DeliveryOutcome> {
  const attempted = outcome.code !== null || outcome.status === 'delivered' || outcome.error !== null;
  const settled: Delivery = {
    ...delivery,
    status: outcome.status,
    attempts: delivery.attempts + (attempted ? 1 : 0),
    lastStatusCode: outcome.code,
    lastError: outcome.error,
    lastAttemptAt: outcome.at.toISOString(),
    nextAttemptAt: null,
    deliveredAt: outcome.status === 'delivered' ? outcome.at.toISOString() : null,
  };
  await deps.deliveries.update(settled, expiry(deps, outcome.at));
  logInfo('webhook delivery settled', {
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    status: outcome.status,
    attempts: settled.attempts,
  });
  return { kind: 'done', delivery: settled };
}

const expiry = (deps: Deps, at: Date) => new Date(at.getTime() + deps.config.eventRetentionDays * 86_400_000);

/** One signed POST of the event; never throws. */
async function post(
  deps: Deps,
  webhook: Webhook,
  delivery: Delivery,
  at: Date,
): Promise<{ ok: boolean; code: number | null; error: string | null }> {
  // The URL was checked when it was stored; the policy (TOKEN_URL_HTTP_HOSTS) may have changed since.
  const problem = tokenUrlProblem(webhook.url, deps.config.tokenUrlHttpHosts);
  if (problem) return { ok: false, code: null, error: `url ${problem}` };
  const secret = await deps.envelope.open(webhook.sealedSecret, webhookSecretBinding(webhook));
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'auth-secrets-webhooks',
    ...signedHeaders(String(secret), delivery.eventId, Math.floor(at.getTime() / 1000), delivery.body),
  };
  try {
    const response = await safeFetch(webhook.url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(deps.config.webhookTimeoutMs),
    });
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, code: response.status, error: ok ? null : `answered ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const code = (error as { code?: unknown }).code;
    const reason =
      name === 'TimeoutError' || name === 'AbortError'
        ? 'timed out'
        : `network error (${typeof code === 'string' ? code : name})`;
    return { ok: false, code: null, error: reason };
  }
}
