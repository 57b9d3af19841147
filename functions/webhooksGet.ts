import { tenantEndpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';
import { getWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(services, 'tenants.webhook.get', {}, async ({ path }) => {
  const { tenantId = '', webhookId = '' } = path;
  return ok({ data: await getWebhook(services(), tenantId, webhookId), meta: {} });
});
