import { tenantEndpoint } from '../lib/http/endpoint';
import { cursorPageLinks, paths } from '../lib/http/links';
import { readCursorPage } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';
import { listDeliveries } from '../lib/webhooks/useCases';

/** Newest first: `page[before]` is the id of the last event seen. */
export const handler = tenantEndpoint(
  services,
  'tenants.webhook.get',
  { queryParameters: ['page[before]', 'page[limit]'] },
  async ({ path, query }) => {
    const { tenantId = '', webhookId = '' } = path;
    const page = readCursorPage(query, 'page[before]');
    const { resources, next } = await listDeliveries(services(), tenantId, webhookId, {
      ...(page.cursor !== undefined ? { before: page.cursor } : {}),
      limit: page.limit,
    });
    return ok({
      data: resources,
      meta: {},
      links: cursorPageLinks(paths.deliveries(tenantId, webhookId), [], {
        cursorName: 'page[before]',
        cursor: page.cursor,
        limit: page.limit,
        next,
      }),
    });
  },
);
