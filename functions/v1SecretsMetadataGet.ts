import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { services } from '../lib/services';
import { getV1Metadata } from '../lib/barbican/useCases';
import { metadataDocument } from '../lib/barbican/view';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadata retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const metadata = await getV1Metadata(services(), request.membership, request.path.secretId ?? '');
    return json({ metadata: metadataDocument(metadata) });
  },
);
