import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { readMetadatum } from '../lib/barbican/input';
import { barbicanServices } from '../lib/barbican/services';
import { updateV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  barbicanServices,
  { operation: 'Secret metadatum update', permission: 'workspaces.secret.edit', body: 'json' },
  async (request) => {
    const entry = readMetadatum(request.body);
    await updateV1Metadatum(
      barbicanServices(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
      entry,
    );
    return json(entry);
  },
);
