import { workspaceEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { restoreSecret } from '../lib/secrets/recovery';
import { services } from '../lib/services';

// Restoring undoes a delete, so it takes the permission a delete takes.
export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.delete', {}, async (request) =>
  okResource(await restoreSecret(services(), request.membership, request.path.secretId ?? '')),
);
