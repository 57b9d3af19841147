import { readAuthClientDocument } from '../lib/authClients/input';
import { patchAuthClient } from '../lib/authClients/useCases';
import { tenantEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { okResource } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(
  services,
  'tenants.auth_client.edit',
  { acceptsBody: true },
  async (request) => {
    const deps = services();
    const ifMatch = readIfMatch(request.headers, { required: deps.config.requireIfMatch });
    const { tenantId = '', authClientId = '' } = request.path;
    const fields = readAuthClientDocument(request.body, { id: authClientId });
    return okResource(await patchAuthClient(deps, tenantId, authClientId, fields, undefined, { ifMatch }));
  },
);
