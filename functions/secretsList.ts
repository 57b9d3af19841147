import { workspaceEndpoint } from '../lib/http/endpoint';
import { pageLinks, paths } from '../lib/http/links';
import { PAGE_PARAMETERS, readFilter, readPage } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { listSecrets } from '../lib/secrets/useCases';
import { services } from '../lib/services';

const FILTERS = ['filter[user]', 'filter[auth_client]'] as const;

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.get',
  { queryParameters: [...FILTERS, ...PAGE_PARAMETERS] },
  async ({ query, membership }) => {
    const page = readPage(query);
    const filter = {
      userId: readFilter(query, 'filter[user]'),
      authClientId: readFilter(query, 'filter[auth_client]'),
    };
    const { resources, total } = await listSecrets(services(), membership, filter, page);
    const kept = FILTERS.flatMap((name) => (query.has(name) ? [[name, query.get(name) ?? ''] as const] : []));
    return ok({
      data: resources,
      meta: { total },
      links: pageLinks(paths.secrets(membership.workspaceId), kept, { ...page, total }),
    });
  },
);
