import { paths } from '../http/links';
import type { Delivery, Webhook } from '../model';

export function webhookResource(webhook: Webhook, signingSecret?: string) {
  return {
    id: webhook.id,
    type: 'webhook',
    attributes: {
      url: webhook.url,
      event_types: webhook.eventTypes,
      enabled: webhook.enabled,
      // Only in the answer to the create: it is never shown again.
      ...(signingSecret !== undefined ? { secret: signingSecret } : {}),
      created_at: webhook.createdAt,
      updated_at: webhook.updatedAt,
    },
    relationships: { tenant: { data: { id: webhook.tenantId, type: 'tenant' } } },
    links: {
      self: paths.webhook(webhook.tenantId, webhook.id),
      deliveries: paths.deliveries(webhook.tenantId, webhook.id),
    },
    // Bumped by every write; the answer's ETag names it (If-Match / If-None-Match).
    meta: { revision: webhook.version },
  };
}

export type WebhookResource = ReturnType<typeof webhookResource>;

/** A delivery, named by its event's id (unique among its webhook's deliveries). */
export function deliveryResource(delivery: Delivery) {
  return {
    id: delivery.eventId,
    type: 'webhook-delivery',
    attributes: {
      event_type: delivery.eventType,
      status: delivery.status,
      attempts: delivery.attempts,
      last_status_code: delivery.lastStatusCode,
      last_error: delivery.lastError,
      last_attempt_at: delivery.lastAttemptAt,
      next_attempt_at: delivery.nextAttemptAt,
      created_at: delivery.createdAt,
      delivered_at: delivery.deliveredAt,
    },
    relationships: { webhook: { data: { id: delivery.webhookId, type: 'webhook' } } },
  };
}
