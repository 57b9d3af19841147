import { readAuthClientDocument } from '../lib/authClients/input';
import { createAuthClient } from '../lib/authClients/useCases';
import { tenantEndpoint } from '../lib/http/endpoint';
import { createdResource } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(
  services,
  'tenants.auth_client.create',
  { acceptsBody: true, idempotent: true },
  async (request) => {
    const fields = readAuthClientDocument(request.body, 'create');
    const client = await createAuthClient(services(), request.path.tenantId ?? '', fields);
    return createdResource(client);
  },
);
