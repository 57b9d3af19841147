import { tenantEndpoint } from '../lib/http/endpoint';
import { noContent } from '../lib/http/results';
import { services } from '../lib/services';
import { deleteWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.delete',
  { preconditions: true },
  async ({ path, ifMatch }) => {
    const { tenantId = '', webhookId = '' } = path;
    await deleteWebhook(services(), tenantId, webhookId, { ifMatch });
    return noContent();
  },
);
