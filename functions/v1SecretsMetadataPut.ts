import { barbicanEndpoint, jsonCreated } from '../lib/barbican/endpoint';
import { readMetadata } from '../lib/barbican/input';
import { services } from '../lib/services';
import { v1Paths } from '../lib/barbican/urls';
import { replaceV1Metadata } from '../lib/barbican/useCases';

/** Replaces all of a secret's user metadata; Barbican answers 201 with the metadata's URL. */
export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret metadata creation', permission: 'workspaces.secret.edit', body: 'json' },
  async (request) => {
    const secretId = request.path.secretId ?? '';
    await replaceV1Metadata(services(), request.membership, secretId, readMetadata(request.body));
    return jsonCreated({ metadata_ref: `${request.baseUrl}${v1Paths.metadata(secretId)}` });
  },
);
