import { workspaceEndpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { getSecretVersion } from '../lib/secrets/versions';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.get', {}, async (request) => {
  const { secretId = '', versionNumber = '' } = request.path;
  return ok({
    data: await getSecretVersion(services(), request.membership, secretId, versionNumber),
    meta: {},
  });
});
