import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { services } from '../lib/services';
import { getV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadatum retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const { key, value } = await getV1Metadatum(
      services(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
    );
    return json({ key, value });
  },
);
