import { tenantEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { okResource } from '../lib/http/results';
import { services } from '../lib/services';
import { readWebhookDocument } from '../lib/webhooks/input';
import { patchWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.edit',
  { acceptsBody: true },
  async ({ path, body, headers }) => {
    const deps = services();
    const ifMatch = readIfMatch(headers, { required: deps.config.requireIfMatch });
    const { tenantId = '', webhookId = '' } = path;
    const fields = readWebhookDocument(body, { id: webhookId });
    return okResource(await patchWebhook(deps, tenantId, webhookId, fields, undefined, { ifMatch }));
  },
);
