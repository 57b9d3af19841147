import { getAuthClient } from '../lib/directory/useCases';
import { endpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = endpoint(services, {}, async (request) => {
  const { tenantId = '', authClientId = '' } = request.path;
  return ok({ data: await getAuthClient(services(), request.caller, tenantId, authClientId), meta: {} });
});
