import type { SealBinding } from '../crypto/envelope';
import type { Webhook } from '../model';

/** The encryption binding of a webhook's signing secret: it opens for this webhook only. */
export function webhookSecretBinding(webhook: Pick<Webhook, 'tenantId' | 'id'>): SealBinding {
  return {
    context: { purpose: 'webhook', tenant: webhook.tenantId },
    recordId: `webhook/${webhook.id}`,
  };
}
