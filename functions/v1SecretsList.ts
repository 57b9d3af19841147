import { barbicanEndpoint, json } from '../lib/barbican/endpoint';
import { readListQuery } from '../lib/barbican/listQuery';
import { navigationLinks } from '../lib/barbican/paging';
import { services } from '../lib/services';
import { v1Paths } from '../lib/barbican/urls';
import { listV1Secrets } from '../lib/barbican/useCases';
import { secretFields } from '../lib/barbican/view';

export const handler = barbicanEndpoint(
  services,
  { operation: 'Secret(s) retrieval', permission: 'workspaces.secret.get' },
  async (request) => {
    const query = readListQuery(request.query);
    const { secrets, total } = await listV1Secrets(services(), request.membership, query);
    // Barbican leaves out the links when the page is empty, wherever it is.
    if (secrets.length === 0) return json({ secrets: [], total });
    const links = navigationLinks(`${request.baseUrl}${v1Paths.secrets}`, query.paging, total, query.keep);
    return json({
      secrets: secrets.map((secret) => secretFields(secret, request.baseUrl)),
      ...links,
      total,
    });
  },
);
