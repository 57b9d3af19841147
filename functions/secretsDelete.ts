import { workspaceEndpoint } from '../lib/http/endpoint';
import { noContent } from '../lib/http/results';
import { deleteSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.delete', {}, async (request) => {
  await deleteSecret(services(), request.membership, request.path.secretId ?? '');
  return noContent();
});
