import { workspaceEndpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { listSecretVersions } from '../lib/secrets/versions';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.get', {}, async (request) => {
  const versions = await listSecretVersions(services(), request.membership, request.path.secretId ?? '');
  return ok({ data: versions, meta: { total: versions.length } });
});
