import { tenantEndpoint } from '../lib/http/endpoint';
import { createdResource } from '../lib/http/results';
import { services } from '../lib/services';
import { readWebhookDocument } from '../lib/webhooks/input';
import { createWebhook } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.create',
  { acceptsBody: true, idempotent: true },
  async (request) => {
    const fields = readWebhookDocument(request.body, 'create');
    const webhook = await createWebhook(services(), request.path.tenantId ?? '', fields);
    return createdResource(webhook);
  },
);
