import { deleteAuthClient } from '../lib/authClients/useCases';
import { BadRequestError } from '../lib/errors';
import { tenantEndpoint } from '../lib/http/endpoint';
import { readQuery } from '../lib/http/query';
import { noContent } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = tenantEndpoint(services, 'tenants.auth_client.delete', {}, async (request) => {
  const cascade = readQuery(request.query, ['cascade']).get('cascade');
  if (cascade !== undefined && cascade !== 'true' && cascade !== 'false') {
    throw new BadRequestError('cascade must be true or false.', { source: { parameter: 'cascade' } });
  }
  const { tenantId = '', authClientId = '' } = request.path;
  await deleteAuthClient(services(), tenantId, authClientId, cascade === 'true');
  return noContent();
});
