import { workspaceEndpoint } from '../lib/http/endpoint';
import { readBoolean } from '../lib/http/query';
import { noContent } from '../lib/http/results';
import { deleteSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.delete',
  { queryParameters: ['force'], preconditions: true },
  async (request) => {
    await deleteSecret(services(), request.membership, request.path.secretId ?? '', {
      ifMatch: request.ifMatch,
      force: readBoolean(request.query, 'force'),
    });
    return noContent();
  },
);
