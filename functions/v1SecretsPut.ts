import { barbicanEndpoint, noContent } from '../lib/barbican/endpoint';
import { readPayloadUpdate } from '../lib/barbican/input';
import { services } from '../lib/services';
import { putV1Payload } from '../lib/barbican/useCases';

/** Gives a secret created without a payload its payload (text/plain or application/octet-stream). */
export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret update', permission: 'workspaces.secret.edit', body: 'payload' },
  async (request) => {
    const update = readPayloadUpdate(
      request.payload,
      request.headers['content-type'],
      request.headers['content-encoding'],
    );
    await putV1Payload(services(), request.membership, request.path.secretId ?? '', update);
    return noContent();
  },
);
