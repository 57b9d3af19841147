import { tenantEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { services } from '../lib/services';
import { readWebhookDocument } from '../lib/webhooks/input';
import { patchWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.edit',
  { acceptsBody: true, preconditions: true },
  async ({ path, body, ifMatch }) => {
    const { tenantId = '', webhookId = '' } = path;
    const fields = readWebhookDocument(body, { id: webhookId });
    return okResource(await patchWebhook(services(), tenantId, webhookId, fields, undefined, { ifMatch }));
  },
);
