import { requirePermission } from '../lib/auth/authenticate';
import { ValidationError } from '../lib/errors';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { readPatchSecret } from '../lib/secrets/input';
import { restoreSecret } from '../lib/secrets/recovery';
import { services } from '../lib/services';

// Restoring undoes a delete, so it takes the permission a delete takes. Without a body it comes back
// as it was; a body may name another auth-client (of the same type) to restore it onto.
export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.delete',
  { acceptsBody: 'optional' },
  async (request) => {
    const secretId = request.path.secretId ?? '';
    const input = request.body === undefined ? undefined : readPatchSecret(request.body, secretId);
    if (input && Object.keys(input.attributes).length > 0) {
      throw new ValidationError(
        'A restore brings the secret back as it was: only its auth-client may be given.',
        {
          source: { pointer: '/data/attributes' },
        },
      );
    }
    if (input?.authClientId !== undefined) {
      // Onto another auth-client: a change of auth-client, which takes the edit permission too.
      requirePermission(request.membership, 'workspaces.auth_secret.edit');
    }
    const restored = await restoreSecret(services(), request.membership, secretId, undefined, {
      authClientId: input?.authClientId,
    });
    return okResource(restored);
  },
);
