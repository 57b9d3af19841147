import { listAuditRecords } from '../lib/audit/list';
import { BadRequestError } from '../lib/errors';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { cursorPageLinks, paths } from '../lib/http/links';
import { readCursorPage, readFilter } from '../lib/http/query';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

const FILTERS = [
  'filter[auth_secret]',
  'filter[actor]',
  'filter[action]',
  'filter[since]',
  'filter[until]',
] as const;

export const handler = workspaceEndpoint(
  services,
  'workspaces.audit.get',
  { queryParameters: [...FILTERS, 'page[after]', 'page[limit]'] },
  async ({ query, membership }) => {
    const page = readCursorPage(query, 'page[after]');
    const filter = {
      authSecretId: readFilter(query, 'filter[auth_secret]'),
      actorUserId: readFilter(query, 'filter[actor]'),
      action: readFilter(query, 'filter[action]'),
      since: readTime(query, 'filter[since]'),
      until: readTime(query, 'filter[until]'),
    };
    const { resources, next } = await listAuditRecords(
      services(),
      membership,
      Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined)),
      { ...(page.cursor !== undefined ? { after: page.cursor } : {}), limit: page.limit },
    );
    const kept = FILTERS.flatMap((name) => (query.has(name) ? [[name, query.get(name) ?? ''] as const] : []));
    return ok({
      data: resources,
      meta: {},
      links: cursorPageLinks(paths.auditEvents(membership.workspaceId), kept, {
        cursorName: 'page[after]',
        cursor: page.cursor,
        limit: page.limit,
        next,
      }),
    });
  },
);

/** An ISO 8601 date-time with a zone (`2026-11-29T10:00:00Z`), or a 400 naming the parameter. */
function readTime(query: ReadonlyMap<string, string>, name: string): string | undefined {
  const raw = query.get(name);
  if (raw === undefined) return undefined;
  if (
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(raw) ||
    Number.isNaN(Date.parse(raw))
  ) {
    throw new BadRequestError(`${name} must be an ISO 8601 date-time with a time zone.`, {
      source: { parameter: name },
    });
  }
  return new Date(raw).toISOString();
}
