import { issueApiKey } from '../auth/apiKeys';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import {
  ROLES,
  PERMISSIONS,
  type AuthClient,
  type AuthMethod,
  type AuthClientType,
  type Permission,
} from '../model';
import type { Services } from '../services';

/**
 * The operator's use cases behind the admin CLI: tenants, workspaces, users and their keys,
 * memberships and auth-clients. Each validates its input and says what is wrong in words.
 */
type Deps = Pick<Services, 'directory' | 'envelope'>;

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
}

export async function createAuthClient(deps: Deps, input: AuthClientInput, now = new Date()) {
  if (!(await deps.directory.getTenant(input.tenantId)))
    throw new NotFoundError(`no tenant ${input.tenantId}`);
  const id = newId(now.getTime());
  const timestamp = now.toISOString();
  const oauth2 = input.type === 'oauth2';
  if (oauth2 && (!input.tokenUrl || !input.clientId || !input.clientSecret)) {
    throw new ValidationError('an oauth2 auth-client needs a token URL, a client id and a client secret');
  }
  if (oauth2) requireTokenUrl(input.tokenUrl ?? '');
  const client: AuthClient = {
    id,
    tenantId: input.tenantId,
    name: requireName(input.name),
    type: input.type,
    tokenUrl: oauth2 ? (input.tokenUrl ?? null) : null,
    clientId: oauth2 ? (input.clientId ?? null) : null,
    sealedClientSecret: null,
    authMethod: input.authMethod ?? 'client_secret_basic',
    scopes: input.scopes ?? [],
    version: 1,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  if (oauth2 && input.clientSecret) {
    client.sealedClientSecret = await deps.envelope.seal(input.clientSecret, {
      context: { purpose: 'auth-client', tenant: input.tenantId },
      recordId: `auth-client/${id}`,
    });
  }
  await deps.directory.putAuthClient(client);
  return { id };
}

function requireName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 200)
    throw new ValidationError('a name of 1 to 200 characters is required');
  return trimmed;
}

function requireTokenUrl(tokenUrl: string): void {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    throw new ValidationError(`not a URL: ${tokenUrl}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ValidationError('the token URL must be https');
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
