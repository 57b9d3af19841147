import { workspaceEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { readPatchSecret } from '../lib/secrets/input';
import { patchSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.edit',
  { acceptsBody: true, preconditions: true },
  async (request) => {
    const secretId = request.path.secretId ?? '';
    const secret = await patchSecret(
      services(),
      request.membership,
      secretId,
      readPatchSecret(request.body, secretId),
      undefined,
      { ifMatch: request.ifMatch },
    );
    return okResource(secret);
  },
);
