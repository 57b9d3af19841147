import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { barbicanServices } from '../lib/barbican/services';
import { getV1Metadata } from '../lib/barbican/useCases';
import { metadataDocument } from '../lib/barbican/view';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret metadata retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const metadata = await getV1Metadata(barbicanServices(), request.membership, request.path.secretId ?? '');
    return json({ metadata: metadataDocument(metadata) });
  },
);
