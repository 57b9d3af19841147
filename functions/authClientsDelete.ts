import { deleteAuthClient } from '../lib/authClients/useCases';
import { tenantEndpoint } from '../lib/http/endpoint';
import { readBoolean } from '../lib/http/query';
import { noContent } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(
  services,
  'tenants.auth_client.delete',
  { queryParameters: ['cascade'], preconditions: true },
  async ({ query, path, ifMatch }) => {
    const { tenantId = '', authClientId = '' } = path;
    await deleteAuthClient(services(), tenantId, authClientId, readBoolean(query, 'cascade'), undefined, {
      ifMatch,
    });
    return noContent();
  },
);
