import { workspaceEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { readBoolean } from '../lib/http/query';
import { noContent } from '../lib/http/results';
import { deleteSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.delete',
  { queryParameters: ['force'] },
  async (request) => {
    const deps = services();
    await deleteSecret(deps, request.membership, request.path.secretId ?? '', {
      ifMatch: readIfMatch(request.headers, { required: deps.config.requireIfMatch }),
      force: readBoolean(request.query, 'force'),
    });
    return noContent();
  },
);
