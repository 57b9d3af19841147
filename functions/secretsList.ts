import { workspaceEndpoint } from '../lib/http/endpoint';
import { pageLinks, paths } from '../lib/http/links';
import { readFilter, readPage, readQuery } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { listSecrets } from '../lib/secrets/useCases';
import { services } from '../lib/services';

const FILTERS = ['filter[user]', 'filter[auth_client]'] as const;

export const handler = workspaceEndpoint(services, 'workspaces.auth_secret.get', {}, async (request) => {
  const query = readQuery(request.query, [...FILTERS, 'page[offset]', 'page[limit]']);
  const page = readPage(query);
  const filter = {
    userId: readFilter(query, 'filter[user]'),
    authClientId: readFilter(query, 'filter[auth_client]'),
  };
  const { resources, total } = await listSecrets(services(), request.membership, filter, page);
  const kept = FILTERS.flatMap((name) => (query.has(name) ? [[name, query.get(name) ?? ''] as const] : []));
  return ok({
    data: resources,
    meta: { total },
    links: pageLinks(paths.secrets(request.membership.workspaceId), kept, { ...page, total }),
  });
});
