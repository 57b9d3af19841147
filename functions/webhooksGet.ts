import { tenantEndpoint } from '../lib/http/endpoint';
import { readResource } from '../lib/http/results';
import { services } from '../lib/services';
import { getWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(services, 'tenants.webhook.get', {}, async ({ path, headers }) => {
  const { tenantId = '', webhookId = '' } = path;
  return readResource(headers, await getWebhook(services(), tenantId, webhookId));
});
