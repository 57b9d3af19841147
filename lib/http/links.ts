/** The paths of the resources this service serves; every link it emits is built here. */
export const paths = {
  workspace: (workspaceId: string) => `/v2/workspaces/${workspaceId}`,
  secrets: (workspaceId: string) => `/v2/workspaces/${workspaceId}/secrets`,
  secret: (workspaceId: string, secretId: string) => `/v2/workspaces/${workspaceId}/secrets/${secretId}`,
  user: (userId: string) => `/v2/users/${userId}`,
  authClients: (tenantId: string) => `/v2/tenants/${tenantId}/auth-clients`,
  authClient: (tenantId: string, authClientId: string) =>
    `/v2/tenants/${tenantId}/auth-clients/${authClientId}`,
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
  const link = (pageOffset: number) => {
    const parameters = [
      ...keptParameters,
      ['page[offset]', String(pageOffset)],
      ['page[limit]', String(limit)],
    ];
    return `${basePath}?${parameters.map(([name, value]) => `${name}=${encodeURIComponent(value ?? '')}`).join('&')}`;
  };
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
