import type { Delivery, Webhook } from '../model';
import { count, logger } from '../observability';
import { tokenUrlProblem } from '../refresh/addressPolicy';
import { safeFetch } from '../refresh/safeFetch';
import type { Services } from '../services';
import { webhookSecretBinding } from './binding';
import type { DeliveryJob } from './ports';
import { signedHeaders } from './signing';

type Deps = Pick<Services, 'webhooks' | 'deliveries' | 'envelope' | 'config'>;

/**
 * The longest a retry waits: SQS refuses to hide a message for more than 12 hours from when it was
 * received, and the worker asks some seconds after that.
 */
const MAX_RETRY_DELAY_SECONDS = 12 * 3600 - 300;

export type DeliveryOutcome =
  /** Nothing more to do with this job: delivered, failed for good, or no longer wanted. */
  | { readonly kind: 'done' }
  /** Try again after this long (the queue keeps the job). */
  | { readonly kind: 'retry'; readonly afterSeconds: number };

interface Attempt {
  readonly ok: boolean;
  readonly code: number | null;
  readonly error: string | null;
}

/**
 * One attempt at one delivery. Any 2xx answer delivers it; anything else (another status, a
 * network error, a timeout) is retried with exponential backoff, the first retry after
 * WEBHOOK_FIRST_RETRY_SECONDS (30), doubling up to 12 hours, until WEBHOOK_RETRY_FOR_SECONDS
 * (24 hours) have passed since the event; then the delivery is kept as `failed`. A job whose
 * delivery is already settled, or that another worker is ahead of (SQS delivers at least once),
 * does nothing.
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
    const reason = webhook ? 'the webhook was disabled' : 'the webhook was deleted';
    await settle(deps, delivery, 'failed', { ok: false, code: null, error: reason }, now(), false);
    return { kind: 'done' };
  }
  const attempt = await post(deps, webhook, delivery, now());
  const at = now();
  if (attempt.ok) {
    await settle(deps, delivery, 'delivered', attempt, at, true);
    return { kind: 'done' };
  }
  const retryUntil = Date.parse(delivery.createdAt) + deps.config.webhookRetryForSeconds * 1000;
  if (at.getTime() >= retryUntil) {
    await settle(deps, delivery, 'failed', attempt, at, true);
    return { kind: 'done' };
  }
  const attempts = delivery.attempts + 1;
  const delay = Math.min(deps.config.webhookFirstRetrySeconds * 2 ** (attempts - 1), MAX_RETRY_DELAY_SECONDS);
  const next: Delivery = {
    ...delivery,
    attempts,
    lastStatusCode: attempt.code,
    lastError: attempt.error,
    lastAttemptAt: at.toISOString(),
    nextAttemptAt: new Date(at.getTime() + delay * 1000).toISOString(),
  };
  if (!(await deps.deliveries.update(next, delivery, expiry(deps, at)))) return { kind: 'done' };
  count('WebhookDeliveries', { outcome: 'retrying' });
  return { kind: 'retry', afterSeconds: delay };
}

/**
 * Settles a delivery that its worker can no longer carry (the queue is about to give the job to
 * its dead-letter queue), so that it shows as failed rather than pending for good.
 */
export async function abandonDelivery(
  deps: Deps,
  job: DeliveryJob,
  reason: string,
  now: () => Date = () => new Date(),
): Promise<void> {
  const delivery = await deps.deliveries.get(job.webhookId, job.eventId);
  if (!delivery || delivery.status !== 'pending') return;
  await settle(deps, delivery, 'failed', { ok: false, code: null, error: reason }, now(), false);
}

async function settle(
  deps: Deps,
  delivery: Delivery,
  status: 'delivered' | 'failed',
  attempt: Attempt,
  at: Date,
  attempted: boolean,
): Promise<void> {
  const settled: Delivery = {
    ...delivery,
    status,
    attempts: delivery.attempts + (attempted ? 1 : 0),
    lastStatusCode: attempt.code,
    lastError: attempt.error,
    lastAttemptAt: attempted ? at.toISOString() : delivery.lastAttemptAt,
    nextAttemptAt: null,
    deliveredAt: status === 'delivered' ? at.toISOString() : null,
  };
  if (!(await deps.deliveries.update(settled, delivery, expiry(deps, at)))) return;
  count('WebhookDeliveries', { outcome: status });
  logger.info('webhook delivery settled', {
    webhookId: delivery.webhookId,
    eventId: delivery.eventId,
    status,
    attempts: settled.attempts,
  });
}

const expiry = (deps: Deps, at: Date) => new Date(at.getTime() + deps.config.eventRetentionDays * 86_400_000);

/**
 * One signed POST of the event; never throws. What went wrong is told in a few fixed words: a
 * webhook's owner sees it, and the service's network (which addresses answer, which refuse) is
 * none of their business.
 */
async function post(deps: Deps, webhook: Webhook, delivery: Delivery, at: Date): Promise<Attempt> {
  // The URL was checked when it was stored; the policy (TOKEN_URL_HTTP_HOSTS) may have changed since.
  if (tokenUrlProblem(webhook.url, deps.config.tokenUrlHttpHosts)) {
    return { ok: false, code: null, error: 'the url is not allowed' };
  }
  const secret = await deps.envelope.open(webhook.sealedSecret, webhookSecretBinding(webhook));
  if (typeof secret !== 'string')
    throw new Error(`webhook ${webhook.id}: the signing secret is not a string`);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'auth-secrets-webhooks',
    ...signedHeaders(secret, delivery.eventId, Math.floor(at.getTime() / 1000), delivery.body),
  };
  try {
    const response = await safeFetch(webhook.url, {
      method: 'POST',
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(deps.config.webhookTimeoutMs),
    });
    const ok = response.status >= 200 && response.status < 300;
    return { ok, code: response.status, error: ok ? null : `answered ${response.status}` };
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    return { ok: false, code: null, error: timedOut ? 'timed out' : 'could not connect' };
  }
}
