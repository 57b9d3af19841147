import { barbicanEndpoint, payload } from '../lib/barbican/endpoint';
import { barbicanServices } from '../lib/barbican/services';
import { getV1Payload } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret payload retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const { contentType, bytes } = await getV1Payload(
      barbicanServices(),
      request.membership,
      request.path.secretId ?? '',
      request.headers.accept,
    );
    return payload(contentType, bytes);
  },
);
