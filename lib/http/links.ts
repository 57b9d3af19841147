/** The paths of the resources this service serves; every link it emits is built here. */
export const paths = {
  workspace: (workspaceId: string) => `/v2/workspaces/${workspaceId}`,
  secrets: (workspaceId: string) => `/v2/workspaces/${workspaceId}/secrets`,
  secret: (workspaceId: string, secretId: string) => `/v2/workspaces/${workspaceId}/secrets/${secretId}`,
  user: (userId: string) => `/v2/users/${userId}`,
  authClients: (tenantId: string) => `/v2/tenants/${tenantId}/auth-clients`,
  authClient: (tenantId: string, authClientId: string) =>
    `/v2/tenants/${tenantId}/auth-clients/${authClientId}`,
  webhooks: (tenantId: string) => `/v2/tenants/${tenantId}/webhooks`,
  webhook: (tenantId: string, webhookId: string) => `/v2/tenants/${tenantId}/webhooks/${webhookId}`,
  deliveries: (tenantId: string, webhookId: string) =>
    `/v2/tenants/${tenantId}/webhooks/${webhookId}/deliveries`,
  events: (workspaceId: string) => `/v2/workspaces/${workspaceId}/events`,
  auditEvents: (workspaceId: string) => `/v2/workspaces/${workspaceId}/audit-events`,
};

export interface PageLinks {
  self: string;
  first: string;
  last: string;
  prev?: string;
  next?: string;
}

/**
 * Offset paging links in the manner of Barbican's `next`/`previous`: `prev` only when the page
 * does not start at 0, `next` only when items follow it. `last` is reached from this page by
 * following `next`. Other query parameters (the filters) are kept.
 */
export function pageLinks(
  basePath: string,
  keptParameters: ReadonlyArray<readonly [string, string]>,
  page: { offset: number; limit: number; total: number },
): PageLinks {
  const { offset, limit, total } = page;
  const link = (pageOffset: number) =>
    pageLink(basePath, keptParameters, ['page[offset]', String(pageOffset)], limit);
  const lastOffset =
    total === 0
      ? 0
      : offset < total
        ? offset + Math.floor((total - 1 - offset) / limit) * limit
        : Math.floor((total - 1) / limit) * limit;
  return {
    self: link(offset),
    first: link(0),
    last: link(lastOffset),
    ...(offset > 0 ? { prev: link(Math.max(0, offset - limit)) } : {}),
    ...(offset + limit < total ? { next: link(offset + limit) } : {}),
  };
}

/**
 * Links of a page asked for by key (`page[after]`): `next` goes on by key from the page's last
 * item, so a client that pages by key keeps doing so; `first` and `last` are the offset pages
 * (as on every list); no `prev`, which a key page cannot know cheaply.
 */
export function keysetPageLinks(
  basePath: string,
  keptParameters: ReadonlyArray<readonly [string, string]>,
  page: { after: string; limit: number; total: number; lastId: string | undefined; more: boolean },
): PageLinks {
  const { after, limit, total, lastId, more } = page;
  const byKey = (id: string) => pageLink(basePath, keptParameters, ['page[after]', id], limit);
  const offsets = pageLinks(basePath, keptParameters, { offset: 0, limit, total });
  return {
    self: byKey(after),
    first: offsets.first,
    last: pageLinks(basePath, keptParameters, { offset: total, limit, total }).last,
    ...(more && lastId !== undefined ? { next: byKey(lastId) } : {}),
  };
}

/**
 * Links of a list read only by key (events, deliveries: feeds that grow at one end): `self`, and
 * `next` from where this page stopped while more may follow.
 */
export function cursorPageLinks(
  basePath: string,
  keptParameters: ReadonlyArray<readonly [string, string]>,
  page: { cursorName: string; cursor: string | undefined; limit: number; next: string | undefined },
): { self: string; next?: string } {
  const at = (cursor: string | undefined) =>
    cursor === undefined
      ? `${basePath}?${[...keptParameters, ['page[limit]', String(page.limit)] as const]
          .map(([name, value]) => `${name}=${encodeURIComponent(value)}`)
          .join('&')}`
      : pageLink(basePath, keptParameters, [page.cursorName, cursor], page.limit);
  return { self: at(page.cursor), ...(page.next !== undefined ? { next: at(page.next) } : {}) };
}

function pageLink(
  basePath: string,
  keptParameters: ReadonlyArray<readonly [string, string]>,
  position: readonly [string, string],
  limit: number,
): string {
  const parameters = [...keptParameters, position, ['page[limit]', String(limit)] as const];
  return `${basePath}?${parameters.map(([name, value]) => `${name}=${encodeURIComponent(value)}`).join('&')}`;
}
