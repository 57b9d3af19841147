import { listEvents } from '../lib/events/list';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { cursorPageLinks, paths } from '../lib/http/links';
import { readChoices, readCursorPage, readFilter } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { SECRET_EVENT_TYPES } from '../lib/model';
import { services } from '../lib/services';

const FILTERS = ['filter[type]', 'filter[auth_secret]'] as const;

export const handler = workspaceEndpoint(
  services,
  'workspaces.auth_secret.get',
  { queryParameters: [...FILTERS, 'page[after]', 'page[limit]'] },
  async ({ query, membership }) => {
    const page = readCursorPage(query, 'page[after]');
    const types = readChoices(query, 'filter[type]', SECRET_EVENT_TYPES);
    const authSecretId = readFilter(query, 'filter[auth_secret]');
    const { resources, next } = await listEvents(
      services(),
      membership,
      { ...(types ? { types } : {}), ...(authSecretId !== undefined ? { authSecretId } : {}) },
      { ...(page.cursor !== undefined ? { after: page.cursor } : {}), limit: page.limit },
    );
    const kept = FILTERS.flatMap((name) => (query.has(name) ? [[name, query.get(name) ?? ''] as const] : []));
    return ok({
      data: resources,
      meta: {},
      links: cursorPageLinks(paths.events(membership.workspaceId), kept, {
        cursorName: 'page[after]',
        cursor: page.cursor,
        limit: page.limit,
        next,
      }),
    });
  },
);
