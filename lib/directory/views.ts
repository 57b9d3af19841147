import { paths } from '../http/links';
import type { AuthClient, User, Workspace } from '../model';

/** JSON:API resource objects of the records secrets link to. Nothing secret appears here. */

export function workspaceResource(workspace: Workspace) {
  return {
    id: workspace.id,
    type: 'workspace',
    attributes: { name: workspace.name, created_at: workspace.createdAt, updated_at: workspace.updatedAt },
    relationships: { tenant: { data: { id: workspace.tenantId, type: 'tenant' } } },
    links: { self: paths.workspace(workspace.id) },
  };
}

export function userResource(user: User) {
  return {
    id: user.id,
    type: 'user',
    attributes: { email: user.email, created_at: user.createdAt },
    links: { self: paths.user(user.id) },
  };
}

/**
 * `type` is reserved by JSON:API for the resource type, so the client's kind (oauth2 or other)
 * is the `auth_type` attribute. The client secret is write-only and never appears.
 */
export function authClientResource(client: AuthClient) {
  return {
    id: client.id,
    type: 'auth-client',
    attributes: {
      name: client.name,
      auth_type: client.type,
      ...(client.type === 'oauth2'
        ? {
            token_url: client.tokenUrl,
            client_id: client.clientId,
            auth_method: client.authMethod,
            scopes: client.scopes,
            default_expires_in: client.defaultExpiresIn,
            refresh_interval_seconds: client.refreshIntervalSeconds ?? null,
            grant_type: client.grantType,
            ...(client.grantType === 'authorization_code'
              ? {
                  authorization_url: client.authorizationUrl,
                  pkce: client.pkce,
                  authorize_params: client.authorizeParams,
                  allowed_return_urls: client.allowedReturnUrls,
                }
              : {}),
          }
        : {}),
      created_at: client.createdAt,
      updated_at: client.updatedAt,
    },
    relationships: { tenant: { data: { id: client.tenantId, type: 'tenant' } } },
    links: { self: paths.authClient(client.tenantId, client.id) },
    // Bumped by every write; the answer's ETag names it (If-Match / If-None-Match).
    meta: { revision: client.version },
  };
}
