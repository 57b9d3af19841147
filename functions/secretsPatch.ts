import { workspaceEndpoint } from '../lib/http/endpoint';
import { readIfMatch } from '../lib/http/preconditions';
import { okResource } from '../lib/http/results';
import { readPatchSecret } from '../lib/secrets/input';
import { patchSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.edit',
  { acceptsBody: true },
  async (request) => {
    const deps = services();
    const ifMatch = readIfMatch(request.headers, { required: deps.config.requireIfMatch });
    const secretId = request.path.secretId ?? '';
    const secret = await patchSecret(
      deps,
      request.membership,
      secretId,
      readPatchSecret(request.body, secretId),
      undefined,
      { ifMatch },
    );
    return okResource(secret);
  },
);
