import { tenantEndpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';
import { readWebhookDocument } from '../lib/webhooks/input';
import { patchWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.edit',
  { acceptsBody: true },
  async ({ path, body }) => {
    const { tenantId = '', webhookId = '' } = path;
    const fields = readWebhookDocument(body, { id: webhookId });
    return ok({ data: await patchWebhook(services(), tenantId, webhookId, fields), meta: {} });
  },
);
