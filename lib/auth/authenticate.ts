import { ForbiddenError, UnauthorizedError } from '../errors';
import type { Membership, Permission, TenantGrant, TenantPermission } from '../model';
import type { IdentityRepository } from '../store/ports';
import { parseApiKey, secretMatches } from './apiKeys';
import type { PresentedCredentials } from './credentials';

export interface Caller {
  readonly userId: string;
  readonly email: string;
  /** The id of the API key the request was made with (the audit trail names it). */
  readonly apiKeyId: string;
}

const INVALID = 'The credentials are missing or not valid.';

/**
 * Authenticates the caller and, when a workspace is named, loads their membership of it in the
 * same round trip. Every way to fail authentication gives the same answer.
 */
export async function authenticate(
  directory: IdentityRepository,
  presented: PresentedCredentials | undefined,
  scope: { workspaceId?: string; tenantId?: string } = {},
): Promise<{ caller: Caller; membership?: Membership; tenantGrant?: TenantGrant }> {
  const parsed = presented && parseApiKey(presented.apiKey);
  if (!presented || !parsed) throw new UnauthorizedError(INVALID);
  const { apiKey, membership, tenantGrant } = await directory.getKeyAndAccess(
    parsed.userId,
    parsed.keyId,
    scope,
  );
  if (!apiKey || !secretMatches(parsed.secret, apiKey)) throw new UnauthorizedError(INVALID);
  if (presented.email !== undefined && presented.email.toLowerCase() !== apiKey.email.toLowerCase()) {
    throw new UnauthorizedError(INVALID);
  }
  return {
    caller: { userId: apiKey.userId, email: apiKey.email, apiKeyId: apiKey.keyId },
    membership,
    tenantGrant,
  };
}

/** Managing a tenant's auth-clients takes the matching tenants.auth_client.* permission. */
export function requireTenantPermission(
  grant: TenantGrant | undefined,
  permission: TenantPermission,
): TenantGrant {
  if (!grant || !grant.permissions.includes(permission)) {
    throw new ForbiddenError(`This request needs the ${permission} permission on the tenant.`);
  }
  return grant;
}

/**
 * A caller who is not a member, and a workspace that does not exist, get the same 403 as a
 * member without the permission: the answer never tells which workspaces exist. Without a
 * permission, any membership will do.
 */
export function requirePermission(membership: Membership | undefined, permission?: Permission): Membership {
  if (!membership) throw new ForbiddenError('The caller is not a member of this workspace.');
  if (permission !== undefined && !membership.permissions.includes(permission)) {
    throw new ForbiddenError(`This request needs the ${permission} permission in the workspace.`);
  }
  return membership;
}
