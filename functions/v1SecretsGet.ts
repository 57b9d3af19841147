import { barbicanEndpoint, json, payload } from '../lib/barbican/endpoint';
import { wantsMetadata } from '../lib/barbican/mediaTypes';
import { services } from '../lib/services';
import { getV1Payload, getV1Secret } from '../lib/barbican/useCases';
import { secretFields } from '../lib/barbican/view';

/** The secret's metadata; asked for with another Accept than JSON, its payload (Barbican's older way). */
export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const secretId = request.path.secretId ?? '';
    const accept = request.headers.accept;
    if (!wantsMetadata(accept)) {
      const { contentType, bytes } = await getV1Payload(services(), request.membership, secretId, accept);
      return payload(contentType, bytes);
    }
    const secret = await getV1Secret(services(), request.membership, secretId);
    return json(secretFields(secret, request.baseUrl));
  },
);
