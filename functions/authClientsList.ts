import { listAuthClients } from '../lib/authClients/useCases';
import { endpoint } from '../lib/http/endpoint';
import { pageLinks, paths } from '../lib/http/links';
import { PAGE_PARAMETERS, readPage } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = endpoint(
  services,
  { loadTenantGrant: true, queryParameters: PAGE_PARAMETERS },
  async ({ query, path, caller, tenantGrant }) => {
    const page = readPage(query);
    const tenantId = path.tenantId ?? '';
    const { resources, total } = await listAuthClients(services(), caller, tenantId, tenantGrant, page);
    return ok({
      data: resources,
      meta: { total },
      links: pageLinks(paths.authClients(tenantId), [], { ...page, total }),
    });
  },
);
