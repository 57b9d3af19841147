import { barbicanEndpoint, jsonCreated } from '../lib/barbican/endpoint';
import { readNewSecret } from '../lib/barbican/input';
import { instantFromDate } from '../lib/barbican/isoTime';
import { services } from '../lib/services';
import { v1Paths } from '../lib/barbican/urls';
import { createV1Secret } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret creation', permission: 'workspaces.secret.create', body: 'json', idempotent: true },
  async (request) => {
    const now = new Date();
    const input = readNewSecret(request.body, instantFromDate(now));
    const secret = await createV1Secret(services(), request.membership, input, now);
    const secretRef = `${request.baseUrl}${v1Paths.secret(secret.id)}`;
    return jsonCreated({ secret_ref: secretRef }, secretRef);
  },
);
