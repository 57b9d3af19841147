import { barbicanEndpoint, jsonCreated } from '../lib/barbican/endpoint';
import { readMetadatum } from '../lib/barbican/input';
import { services } from '../lib/services';
import { v1Paths } from '../lib/barbican/urls';
import { addV1Metadatum } from '../lib/barbican/useCases';

/** Adds one key to a secret's user metadata (409 if it has the key already). */
export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadatum creation', permission: 'workspaces.secret.edit', body: 'json' },
  async (request) => {
    const secretId = request.path.secretId ?? '';
    const entry = readMetadatum(request.body);
    await addV1Metadatum(services(), request.membership, secretId, entry);
    return jsonCreated(entry, `${request.baseUrl}${v1Paths.metadatum(secretId, entry.key)}`);
  },
);
