import { workspaceEndpoint } from '../lib/http/endpoint';
import { createdResource } from '../lib/http/results';
import { readCreateSecret } from '../lib/secrets/input';
import { createSecret } from '../lib/secrets/useCases';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.create',
  { acceptsBody: true, idempotent: true },
  async (request) =>
    createdResource(await createSecret(services(), request.membership, readCreateSecret(request.body))),
);
