import { barbicanEndpoint, payload } from '../lib/barbican/endpoint';
import { services } from '../lib/services';
import { getV1Payload } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret payload retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const { contentType, bytes } = await getV1Payload(
      services(),
      request.membership,
      request.path.secretId ?? '',
      request.headers.accept,
    );
    return payload(contentType, bytes);
  },
);
