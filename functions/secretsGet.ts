import { workspaceEndpoint } from '../lib/http/endpoint';
import { readResource } from '../lib/http/results';
import { getSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.get', {}, async (request) => {
  const secret = await getSecret(services(), request.membership, request.path.secretId ?? '');
  return readResource(request.headers, secret);
});
