import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { readMetadatum } from '../lib/barbican/input';
import { services } from '../lib/services';
import { updateV1Metadatum } from '../lib/barbican/useCases';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadatum update', permission: 'workspaces.secret.edit', body: 'json' },
  async (request) => {
    const entry = readMetadatum(request.body);
    await updateV1Metadatum(
      services(),
      request.membership,
      request.path.secretId ?? '',
      request.path.key ?? '',
      entry,
    );
    return json(entry);
  },
);
