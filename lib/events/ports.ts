import type { SecretEvent } from './secretEvents';

/** What the delivery worker is asked to do: deliver one stored delivery (webhook, event). */
export interface DeliveryJob {
  readonly tenantId: string;
  readonly webhookId: string;
  readonly eventId: string;
}

/**
 * Where delivery jobs wait: SQS on AWS (retries by visibility timeout, a dead-letter queue after
 * that), a stand-in in the table locally (lib/store/localQueue.ts). At least once: a job may
 * arrive twice, and the worker checks the delivery's state first.
 */
export interface DeliveryQueue {
  enqueue(jobs: readonly DeliveryJob[]): Promise<void>;
  /** Makes a received job visible again after `delaySeconds` (the retry's backoff). */
  retryLater(receiptHandle: string, delaySeconds: number): Promise<void>;
}

/** Where events are published for routing: the stack's EventBridge bus on AWS; nowhere locally. */
export interface EventBus {
  publish(events: readonly SecretEvent[]): Promise<void>;
}
