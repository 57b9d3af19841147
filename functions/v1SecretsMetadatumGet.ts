import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { barbicanServices } from '../lib/barbican/services';
import { getV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret metadatum retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const { key, value } = await getV1Metadatum(
      barbicanServices(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
    );
    return json({ key, value });
  },
);
