import { barbicanEndpoint, noContent } from '../lib/barbican/endpoint';
import { barbicanServices } from '../lib/barbican/services';
import { deleteV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret metadatum removal', permission: 'workspaces.secret.edit' },
  async (request) => {
    await deleteV1Metadatum(
      barbicanServices(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
    );
    return noContent();
  },
);
