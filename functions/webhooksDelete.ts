import { tenantEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { noContent } from '../lib/http/results';
import { services } from '../lib/services';
import { deleteWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(services, 'tenants.webhook.delete', {}, async ({ path, headers }) => {
  const deps = services();
  const { tenantId = '', webhookId = '' } = path;
  await deleteWebhook(deps, tenantId, webhookId, {
    ifMatch: readIfMatch(headers, { required: deps.config.requireIfMatch }),
  });
  return noContent();
});
