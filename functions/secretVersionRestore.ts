import { workspaceEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { restoreSecretVersion } from '../lib/secrets/versions';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.edit', {}, async (request) => {
  const { secretId = '', versionNumber = '' } = request.path;
  return okResource(await restoreSecretVersion(services(), request.membership, secretId, versionNumber));
});
