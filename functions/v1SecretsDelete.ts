import { barbicanEndpoint, noContent } from '../lib/barbican/endpoint';
import { services } from '../lib/services';
import { deleteV1Secret } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret deletion', permission: 'workspaces.secret.delete' },
  async (request) => {
    await deleteV1Secret(services(), request.membership, request.path.secretId ?? '');
    return noContent();
  },
);
