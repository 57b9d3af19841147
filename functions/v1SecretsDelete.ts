import { barbicanEndpoint, noContent } from '../lib/barbican/endpoint';
import { barbicanServices } from '../lib/barbican/services';
import { deleteV1Secret } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret deletion', permission: 'workspaces.secret.delete' },
  async (request) => {
    await deleteV1Secret(barbicanServices(), request.membership, request.path.secretId ?? '');
    return noContent();
  },
);
