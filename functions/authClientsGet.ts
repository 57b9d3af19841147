import { getAuthClient } from '../lib/authClients/useCases';
import { endpoint } from '../lib/http/endpoint';
import { readResource } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = endpoint(services, { loadTenantGrant: true }, async (request) => {
  const { tenantId = '', authClientId = '' } = request.path;
  const client = await getAuthClient(services(), request.caller, tenantId, authClientId, request.tenantGrant);
  return readResource(request.headers, client);
});
