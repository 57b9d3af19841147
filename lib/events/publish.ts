import { logger } from '../observability';
import type { Delivery } from '../model';
import type { Services } from '../services';
import type { DeliveryJob } from './ports';
import { eventOfWrite, type SecretEvent, type SecretWrite } from './secretEvents';

type Deps = Pick<Services, 'events' | 'webhooks' | 'deliveries' | 'eventBus' | 'deliveryQueue' | 'config'>;

export interface PublishSummary {
  readonly events: number;
  readonly deliveries: number;
}

/**
 * What the table's stream hands over, turned into events: each is stored (for GET …/events),
 * published to the event bus, and given a delivery to each of its tenant's enabled webhooks that
 * wants its type, whose job goes to the delivery queue. Every step may run again for the same
 * batch (a retried stream batch): the same event gets the same id, and a delivery already made is
 * not queued again.
 */
export async function publishSecretEvents(
  deps: Deps,
  writes: readonly SecretWrite[],
  now: () => Date = () => new Date(),
): Promise<PublishSummary> {
  const events = writes.flatMap((write) => eventOfWrite(write) ?? []);
  if (events.length === 0) return { events: 0, deliveries: 0 };
  const keepUntil = new Date(now().getTime() + deps.config.eventRetentionDays * 86_400_000);
  await deps.events.putAll(events, keepUntil);
  await deps.eventBus.publish(events);

  const deliveries: Delivery[] = [];
  for (const [tenantId, ofTenant] of byTenant(events)) {
    const webhooks = (await deps.webhooks.list(tenantId)).filter((webhook) => webhook.enabled);
    for (const event of ofTenant) {
      for (const webhook of webhooks) {
        if (webhook.eventTypes.length > 0 && !webhook.eventTypes.includes(event.type)) continue;
        deliveries.push(newDelivery(tenantId, webhook.id, event));
      }
    }
  }
  // A delivery whose job an earlier run of this batch queued is not queued again: two jobs would
  // retry one delivery on two schedules.
  const toQueue = (
    await Promise.all(
      deliveries.map(async (delivery) => {
        if (await deps.deliveries.createIfAbsent(delivery, keepUntil)) return delivery;
        const existing = await deps.deliveries.get(delivery.webhookId, delivery.eventId);
        return existing?.status === 'pending' && !existing.queued ? delivery : undefined;
      }),
    )
  ).filter((delivery) => delivery !== undefined);
  const jobs: DeliveryJob[] = toQueue.map(({ tenantId, webhookId, eventId }) => ({
    tenantId,
    webhookId,
    eventId,
  }));
  await deps.deliveryQueue.enqueue(jobs);
  await Promise.all(jobs.map((job) => deps.deliveries.markQueued(job.webhookId, job.eventId)));
  logger.info('events published', { events: events.length, deliveries: jobs.length });
  return { events: events.length, deliveries: jobs.length };
}

function newDelivery(tenantId: string, webhookId: string, event: SecretEvent): Delivery {
  return {
    webhookId,
    tenantId,
    eventId: event.id,
    eventType: event.type,
    body: JSON.stringify(event),
    status: 'pending',
    queued: false,
    attempts: 0,
    lastStatusCode: null,
    lastError: null,
    lastAttemptAt: null,
    nextAttemptAt: null,
    createdAt: event.occurred_at,
    deliveredAt: null,
  };
}

/** Events grouped by tenant, each group in stream order. */
function byTenant(events: readonly SecretEvent[]): Map<string, SecretEvent[]> {
  const groups = new Map<string, SecretEvent[]>();
  for (const event of events) {
    const group = groups.get(event.data.tenant_id) ?? [];
    group.push(event);
    groups.set(event.data.tenant_id, group);
  }
  return groups;
}
