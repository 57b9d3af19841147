import { listAuthClients } from '../lib/authClients/useCases';
import { endpoint } from '../lib/http/endpoint';
import { pageLinks, paths } from '../lib/http/links';
import { readPage, readQuery } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = endpoint(services, { loadTenantGrant: true }, async (request) => {
  const page = readPage(readQuery(request.query, ['page[offset]', 'page[limit]']));
  const tenantId = request.path.tenantId ?? '';
  const { resources, total } = await listAuthClients(
    services(),
    request.caller,
    tenantId,
    request.tenantGrant,
    page,
  );
  return ok({
    data: resources,
    meta: { total },
    links: pageLinks(paths.authClients(tenantId), [], { ...page, total }),
  });
});
