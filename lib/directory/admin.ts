import { issueApiKey } from '../auth/apiKeys';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import { createAuthClient as createTenantAuthClient } from '../authClients/useCases';
import {
  PERMISSIONS,
  ROLES,
  TENANT_PERMISSIONS,
  type AuthClientType,
  type AuthMethod,
  type Permission,
} from '../model';
import type { Services } from '../services';

/**
 * The operator's use cases behind the admin CLI: tenants, workspaces, users and their keys,
 * memberships and auth-clients. Each validates its input and says what is wrong in words.
 */
type Deps = Pick<Services, 'directory' | 'authClients' | 'envelope' | 'secrets' | 'config'>;

export async function createTenant(deps: Deps, name: string, now = new Date()) {
  const tenant = { id: newId(now.getTime()), name: requireName(name), createdAt: now.toISOString() };
  await deps.directory.putTenant(tenant);
  return { id: tenant.id };
}

export async function createWorkspace(deps: Deps, tenantId: string, name: string, now = new Date()) {
  if (!(await deps.directory.getTenant(tenantId))) throw new NotFoundError(`no tenant ${tenantId}`);
  const timestamp = now.toISOString();
  const workspace = {
    id: newId(now.getTime()),
    tenantId,
    name: requireName(name),
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  await deps.directory.putWorkspace(workspace);
  return { id: workspace.id };
}

const EMAIL_PATTERN = /^[^\s@:]+@[^\s@:]+$/;

export async function createUser(deps: Deps, email: string, now = new Date()) {
  if (!EMAIL_PATTERN.test(email) || email.length > 254)
    throw new ValidationError(`not an e-mail address: ${email}`);
  const user = { id: newId(now.getTime()), email, createdAt: now.toISOString() };
  await deps.directory.putUser(user);
  const { apiKey, record } = issueApiKey(user.id, email, now);
  await deps.directory.putApiKey(record);
  return { id: user.id, email, apiKey };
}

/** Issues another API key for an existing user (the old ones keep working). */
export async function createApiKey(deps: Deps, userId: string, now = new Date()) {
  const user = await deps.directory.getUser(userId);
  if (!user) throw new NotFoundError(`no user ${userId}`);
  const { apiKey, record } = issueApiKey(user.id, user.email, now);
  await deps.directory.putApiKey(record);
  return { id: user.id, email: user.email, apiKey };
}

/**
 * Revokes one API key (its id is the third part of the key). Warm containers may accept it for
 * up to ACCESS_CACHE_SECONDS more.
 */
export async function revokeApiKey(deps: Deps, userId: string, keyId: string) {
  if (!(await deps.directory.deleteApiKey(userId, keyId)))
    throw new NotFoundError(`no key ${keyId} of user ${userId}`);
  return { userId, keyId, revoked: true };
}

/** Removes a user from a workspace (effective within ACCESS_CACHE_SECONDS in warm containers). */
export async function removeMember(deps: Deps, workspaceId: string, userId: string) {
  if (!(await deps.directory.deleteMembership(workspaceId, userId))) {
    throw new NotFoundError(`user ${userId} is not a member of workspace ${workspaceId}`);
  }
  return { workspaceId, userId, removed: true };
}

/** Grants a role or an explicit permission list; granting again replaces the previous grant. */
export async function addMember(
  deps: Deps,
  workspaceId: string,
  userId: string,
  grant: { role: string } | { permissions: string[] },
  now = new Date(),
) {
  const workspace = await deps.directory.getWorkspace(workspaceId);
  if (!workspace) throw new NotFoundError(`no workspace ${workspaceId}`);
  if (!(await deps.directory.getUser(userId))) throw new NotFoundError(`no user ${userId}`);
  const permissions = 'role' in grant ? roleFor(grant.role) : permissionsFrom(grant.permissions);
  await deps.directory.putMembership({
    workspaceId,
    userId,
    tenantId: workspace.tenantId,
    permissions,
    createdAt: now.toISOString(),
  });
  return { workspaceId, userId, permissions };
}

export interface AuthClientInput {
  readonly tenantId: string;
  readonly name: string;
  readonly type: AuthClientType;
  readonly tokenUrl?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly authMethod?: AuthMethod;
  readonly scopes?: string[];
  readonly defaultExpiresIn?: number;
  readonly refreshIntervalSeconds?: number;
}

/** The same use case as POST /v2/tenants/{id}/auth-clients, with the same checks. */
export async function createAuthClient(deps: Deps, input: AuthClientInput, now = new Date()) {
  const { tenantId, ...fields } = input;
  const client = await createTenantAuthClient(deps, tenantId, fields, now);
  return { id: client.id };
}

/** Grants tenant-level permissions over auth-clients (all four unless a list is given). */
export async function grantTenantAdmin(
  deps: Deps,
  tenantId: string,
  userId: string,
  permissions: string[] = [...TENANT_PERMISSIONS],
  now = new Date(),
) {
  if (!(await deps.directory.getTenant(tenantId))) throw new NotFoundError(`no tenant ${tenantId}`);
  if (!(await deps.directory.getUser(userId))) throw new NotFoundError(`no user ${userId}`);
  const unknown = permissions.filter((name) => !(TENANT_PERMISSIONS as readonly string[]).includes(name));
  if (unknown.length > 0 || permissions.length === 0) {
    throw new ValidationError(
      `unknown permission ${unknown.join(', ')}; permissions are ${TENANT_PERMISSIONS.join(', ')}`,
    );
  }
  const granted = [...new Set(permissions)];
  await deps.directory.putTenantGrant({
    tenantId,
    userId,
    permissions: granted,
    createdAt: now.toISOString(),
  });
  return { tenantId, userId, permissions: granted };
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200)
    throw new ValidationError('a name of 1 to 200 characters is required');
  return trimmed;
}

function roleFor(role: string): Permission[] {
  const permissions = ROLES[role];
  if (!permissions)
    throw new ValidationError(`unknown role ${role}; roles are ${Object.keys(ROLES).join(', ')}`);
  return [...permissions];
}

function permissionsFrom(names: string[]): Permission[] {
  const unknown = names.filter((name) => !isPermission(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new ValidationError(
      `unknown permission ${unknown.join(', ')}; permissions are ${PERMISSIONS.join(', ')}`,
    );
  }
  return [...new Set(names.filter(isPermission))];
}

function isPermission(name: string): name is Permission {
  return (PERMISSIONS as readonly string[]).includes(name);
}
