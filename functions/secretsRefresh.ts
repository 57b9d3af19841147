import { workspaceEndpoint } from '../lib/http/endpoint';
import { okResource } from '../lib/http/results';
import { refreshSecretNow } from '../lib/refresh/useCases';
import { services } from '../lib/services';

// The document's example answers "201 OK" with an array; this answers 200 with the secret (DESIGN.md).
export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.refresh', {}, async (request) => {
  const secret = await refreshSecretNow(
    services(),
    request.membership,
    request.path.secretId ?? '',
    request.receivedAt,
  );
  return okResource(secret);
});
