import { barbicanEndpoint, jsonCreated } from '../lib/barbican/endpoint';
import { readNewSecret } from '../lib/barbican/input';
import { instantFromDate } from '../lib/barbican/isoTime';
import { barbicanServices } from '../lib/barbican/services';
import { v1Paths } from '../lib/barbican/urls';
import { createV1Secret } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret creation', permission: 'workspaces.secret.create', body: 'json' },
  async (request) => {
    const now = new Date();
    const input = readNewSecret(request.body, instantFromDate(now));
    const secret = await createV1Secret(barbicanServices(), request.membership, input, now);
    const secretRef = `${request.baseUrl}${v1Paths.secret(secret.id)}`;
    return jsonCreated({ secret_ref: secretRef }, secretRef);
  },
);
