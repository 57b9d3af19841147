import { barbicanEndpoint, noContent } from '../lib/barbican/endpoint';
import { services } from '../lib/services';
import { deleteV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadatum removal', permission: 'workspaces.secret.edit' },
  async (request) => {
    await deleteV1Metadatum(
      services(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
    );
    return noContent();
  },
);
