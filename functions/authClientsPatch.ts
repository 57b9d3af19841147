import { readAuthClientDocument } from '../lib/authClients/input';
import { patchAuthClient } from '../lib/authClients/useCases';
import { tenantEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(
  services,
  'tenants.auth_client.edit',
  { acceptsBody: true, preconditions: true },
  async (request) => {
    const { tenantId = '', authClientId = '' } = request.path;
    const fields = readAuthClientDocument(request.body, { id: authClientId });
    return okResource(
      await patchAuthClient(services(), tenantId, authClientId, fields, undefined, {
        ifMatch: request.ifMatch,
      }),
    );
  },
);
