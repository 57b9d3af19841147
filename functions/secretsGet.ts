import { workspaceEndpoint } from '../lib/http/endpoint';
import { isNotModified } from '../lib/http/preconditions';
import { notModified, okResource } from '../lib/http/results';
import { getSecretUnlessUnchanged } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.get', {}, async (request) => {
  // A 304 is decided on the stored revision, before the credentials would be opened.
  const found = await getSecretUnlessUnchanged(
    services(),
    request.membership,
    request.path.secretId ?? '',
    (revision) => isNotModified(request.headers, revision),
  );
  return 'unchangedRevision' in found ? notModified(found.unchangedRevision) : okResource(found);
});
