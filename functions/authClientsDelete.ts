import { deleteAuthClient } from '../lib/authClients/useCases';
import { tenantEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { readBoolean } from '../lib/http/query';
import { noContent } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(
  services,
  'tenants.auth_client.delete',
  { queryParameters: ['cascade'] },
  async ({ query, path, headers }) => {
    const deps = services();
    const { tenantId = '', authClientId = '' } = path;
    const ifMatch = readIfMatch(headers, { required: deps.config.requireIfMatch });
    await deleteAuthClient(deps, tenantId, authClientId, readBoolean(query, 'cascade'), undefined, {
      ifMatch,
    });
    return noContent();
  },
);
