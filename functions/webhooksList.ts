import { tenantEndpoint } from '../lib/http/endpoint';
import { pageLinks, paths } from '../lib/http/links';
import { PAGE_PARAMETERS, readPage } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';
import { listWebhooks } from '../lib/webhooks/useCases';

export const handler = tenantEndpoint(
  services,
  'tenants.webhook.get',
  { queryParameters: PAGE_PARAMETERS },
  async ({ query, path }) => {
    const page = readPage(query);
    const tenantId = path.tenantId ?? '';
    const { resources, total } = await listWebhooks(services(), tenantId, page);
    return ok({
      data: resources,
      meta: { total },
      links: pageLinks(paths.webhooks(tenantId), [], { ...page, total }),
    });
  },
);
