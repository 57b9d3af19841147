import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../errors';
import { removeSecret } from '../secrets/useCases';
import type { Caller } from '../auth/authenticate';
import { authClientResource } from '../directory/views';
import { isId, newId } from '../ids';
import type { AuthClient, TenantGrant } from '../model';
import { tokenUrlProblem } from '../refresh/addressPolicy';
import { clientSecretBinding } from './binding';
import type { Services } from '../services';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { AuthClientInUseError, ConditionFailedError } from '../store/ports';
import { MIN_REFRESH_INTERVAL_SECONDS, type AuthClientFields } from './input';
import { requireRevision, type ExpectedRevision } from '../revisions';
import { normalisedReturnUrl, returnUrlProblem } from '../connect/returnUrls';

type Deps = Pick<Services, 'directory' | 'authClients' | 'secrets' | 'envelope' | 'config'>;

/**
 * Who may read a tenant's auth-clients: holders of tenants.auth_client.get, and the members of
 * any of the tenant's workspaces (their secrets link to its auth-clients). Others get 404.
 */
async function requireReadAccess(
  deps: Deps,
  caller: Caller,
  tenantId: string,
  grant: TenantGrant | undefined,
) {
  if (grant?.permissions.includes('tenants.auth_client.get')) return;
  const memberships = await deps.directory.listMemberships(caller.userId);
  if (memberships.some((membership) => membership.tenantId === tenantId)) return;
  if (grant) {
    // The caller manages this tenant's auth-clients in some way, so the tenant is no secret to them.
    throw new ForbiddenError('This request needs the tenants.auth_client.get permission on the tenant.');
  }
  throw new NotFoundError('No such tenant, or no access to its auth-clients.');
}

export async function listAuthClients(
  deps: Deps,
  caller: Caller,
  tenantId: string,
  grant: TenantGrant | undefined,
  page: { offset: number; limit: number },
) {
  if (!isId(tenantId)) throw new NotFoundError('No such tenant, or no access to its auth-clients.');
  await requireReadAccess(deps, caller, tenantId, grant);
  const clients = await deps.authClients.list(tenantId);
  return {
    resources: clients.slice(page.offset, page.offset + page.limit).map(authClientResource),
    total: clients.length,
  };
}

export async function getAuthClient(
  deps: Deps,
  caller: Caller,
  tenantId: string,
  authClientId: string,
  grant: TenantGrant | undefined,
) {
  const notFound = new NotFoundError('No such auth-client.');
  if (!isId(tenantId) || !isId(authClientId)) throw notFound;
  await requireReadAccess(deps, caller, tenantId, grant);
  const client = await deps.authClients.get(tenantId, authClientId);
  if (!client) throw notFound;
  return authClientResource(client);
}

/** Creates an auth-client; the client secret is sealed before the one conditional write. */
export async function createAuthClient(
  deps: Deps,
  tenantId: string,
  fields: AuthClientFields,
  now = new Date(),
) {
  if (!(await deps.directory.getTenant(tenantId))) throw new NotFoundError(`No tenant ${tenantId}.`);
  if (!fields.name) throw required('name');
  if (!fields.type) throw required('auth_type');
  const timestamp = now.toISOString();
  const draft: AuthClient = {
    id: newId(now.getTime()),
    tenantId,
    name: fields.name,
    type: fields.type,
    tokenUrl: fields.tokenUrl ?? null,
    clientId: fields.clientId ?? null,
    sealedClientSecret: null,
    authMethod: fields.authMethod ?? 'client_secret_basic',
    scopes: fields.scopes ?? [],
    defaultExpiresIn: fields.defaultExpiresIn ?? null,
    refreshIntervalSeconds: fields.refreshIntervalSeconds ?? null,
    grantType: fields.grantType ?? 'authorization_code',
    authorizationUrl: fields.authorizationUrl ?? null,
    pkce: fields.pkce ?? true,
    authorizeParams: fields.authorizeParams ?? {},
    allowedReturnUrls: (fields.allowedReturnUrls ?? []).map(normalisedEntry),
    version: 1,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  const client = await withSecret(deps, checkShape(deps, draft, fields), fields.clientSecret);
  await deps.authClients.create(client);
  return authClientResource(client);
}

/** Applies a partial update, conditional on the version read (re-applied if it loses a race). */
export async function patchAuthClient(
  deps: Deps,
  tenantId: string,
  authClientId: string,
  fields: AuthClientFields,
  now = new Date(),
  options: { ifMatch?: ExpectedRevision } = {},
) {
  return withOptimisticRetry('auth-client', async () => {
    const current = isId(authClientId) ? await deps.authClients.get(tenantId, authClientId) : undefined;
    if (!current) throw new NotFoundError('No such auth-client.');
    requireRevision(options.ifMatch, current.version, 'auth-client');
    if (fields.type !== undefined && fields.type !== current.type) {
      throw new ValidationError(
        'auth_type cannot change: the secrets of this auth-client hold credentials of its type.',
        { source: { pointer: '/data/attributes/auth_type' } },
      );
    }
    if (fields.grantType !== undefined && fields.grantType !== current.grantType) {
      throw new ValidationError(
        'grant_type cannot change: the secrets of this auth-client hold tokens of its grant.',
        { source: { pointer: '/data/attributes/grant_type' } },
      );
    }
    const draft: AuthClient = {
      ...current,
      name: fields.name ?? current.name,
      tokenUrl: fields.tokenUrl ?? current.tokenUrl,
      clientId: fields.clientId ?? current.clientId,
      authMethod: fields.authMethod ?? current.authMethod,
      scopes: fields.scopes ?? current.scopes,
      defaultExpiresIn:
        fields.defaultExpiresIn !== undefined ? fields.defaultExpiresIn : current.defaultExpiresIn,
      // Each secret picks a new interval up at its next refresh or new credentials (see README).
      refreshIntervalSeconds:
        fields.refreshIntervalSeconds !== undefined
          ? fields.refreshIntervalSeconds
          : (current.refreshIntervalSeconds ?? null),
      authorizationUrl:
        fields.authorizationUrl !== undefined ? fields.authorizationUrl : current.authorizationUrl,
      pkce: fields.pkce ?? current.pkce,
      authorizeParams: fields.authorizeParams ?? current.authorizeParams,
      allowedReturnUrls: fields.allowedReturnUrls?.map(normalisedEntry) ?? current.allowedReturnUrls,
      version: current.version + 1,
      updatedAt: now.toISOString(),
    };
    const checked = checkShape(deps, draft, fields);
    if (movesToAnotherOrigin(current.tokenUrl, fields.tokenUrl) && fields.clientSecret === undefined) {
      // Otherwise whoever may edit the client could send its stored secret to a server of theirs.
      throw new ValidationError('client_secret must be given again when token_url moves to another origin.', {
        source: { pointer: '/data/attributes/client_secret' },
      });
    }
    const next = await withSecret(deps, checked, fields.clientSecret);
    await deps.authClients.replace(next, current.version);
    return authClientResource(next);
  });
}

/** How long a cascade delete waits for the by-auth-client index to show the last secrets. */
const CASCADE_ROUNDS = 20;
const CASCADE_PAUSE_MS = 250;

/**
 * Deletes an auth-client. While secrets still use it the answer is 409, unless `cascade` asks to
 * delete those secrets with it: the client is then first marked as being deleted (no secret can
 * be created on it or moved to it from then on), its secrets are deleted (recoverably, as a DELETE
 * of each would: a deleted secret uses no auth-client, and restoring one whose client is gone
 * answers 409), and the client goes in one transaction that requires its usage count to be zero.
 * A failure half-way leaves the client marked (new secrets on it answer 409) and the request can
 * simply be sent again. With If-Match, the client must be at a revision it names (412 otherwise).
 */
export async function deleteAuthClient(
  deps: Deps,
  tenantId: string,
  authClientId: string,
  cascade: boolean,
  now: () => Date = () => new Date(),
  options: { ifMatch?: ExpectedRevision } = {},
) {
  if (!isId(authClientId)) throw authClientNotFound();
  let expectedVersion: number | undefined;
  if (options.ifMatch !== undefined && options.ifMatch !== 'any') {
    const current = await deps.authClients.get(tenantId, authClientId);
    if (!current) throw authClientNotFound();
    requireRevision(options.ifMatch, current.version, 'auth-client');
    expectedVersion = current.version;
  }
  if (!cascade) {
    await deleteUnused(deps, tenantId, authClientId, expectedVersion);
    return;
  }
  try {
    // With If-Match, the mark is conditional on the revision: no secret is touched for a stale one.
    await deps.authClients.markDeleting(tenantId, authClientId, now().toISOString(), expectedVersion);
  } catch (error) {
    if (error instanceof ConditionFailedError)
      throw await goneOrChanged(deps, tenantId, authClientId, expectedVersion);
    throw error;
  }
  for (let round = 0; round < CASCADE_ROUNDS; round++) {
    // The index may lag behind the last writes (on AWS): the usage count says when it is empty.
    for (const key of await deps.secrets.listKeysByAuthClient(authClientId, Infinity)) {
      const secret = await deps.secrets.get(key.workspaceId, key.secretId);
      // Only the secrets still on the auth-client it empties: one moved away since the index was read is not its to delete.
      if (secret?.authClientId !== authClientId) continue;
      try {
        await removeSecret(deps, secret, { force: false, at: now() });
      } catch (error) {
        // Changed since the read: the next round reads it again.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    try {
      await deleteUnused(deps, tenantId, authClientId, expectedVersion);
      return;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, CASCADE_PAUSE_MS));
  }
  throw new ConflictError(
    'Auth-secrets of this auth-client were still being written; send the request again.',
  );
}

async function deleteUnused(
  deps: Deps,
  tenantId: string,
  authClientId: string,
  expectedVersion: number | undefined,
): Promise<void> {
  try {
    await deps.authClients.delete(tenantId, authClientId, expectedVersion);
  } catch (error) {
    if (error instanceof ConditionFailedError)
      throw await goneOrChanged(deps, tenantId, authClientId, expectedVersion);
    if (error instanceof AuthClientInUseError) {
      throw new ConflictError(
        'Auth-secrets still use this auth-client; delete them first, or send ?cascade=true to delete them with it.',
      );
    }
    throw error;
  }
}

const authClientNotFound = () => new NotFoundError('No such auth-client.');

/** Why a write conditional on the client (and on `expectedVersion`) failed: 412 if it changed, else 404. */
async function goneOrChanged(
  deps: Deps,
  tenantId: string,
  authClientId: string,
  expectedVersion: number | undefined,
): Promise<Error> {
  if (expectedVersion !== undefined && (await deps.authClients.get(tenantId, authClientId))) {
    return new PreconditionFailedError('The auth-client changed since the ETag given in If-Match was read.', {
      source: { header: 'If-Match' },
    });
  }
  return authClientNotFound();
}

function movesToAnotherOrigin(current: string | null, next: string | undefined): boolean {
  if (current === null || next === undefined) return false;
  try {
    return new URL(current).origin !== new URL(next).origin;
  } catch {
    return false; // an unreadable URL is refused by checkShape with its own message
  }
}

function checkShape(deps: Deps, client: AuthClient, fields: AuthClientFields): AuthClient {
  if (client.type === 'other') {
    const oauthOnly = (
      [
        'tokenUrl',
        'clientId',
        'clientSecret',
        'authMethod',
        'scopes',
        'defaultExpiresIn',
        'refreshIntervalSeconds',
        'grantType',
        'authorizationUrl',
        'pkce',
        'authorizeParams',
        'allowedReturnUrls',
      ] as const
    ).find((name) => fields[name] !== undefined && fields[name] !== null);
    if (oauthOnly) {
      throw new ValidationError('Only oauth2 auth-clients have token endpoint settings.', {
        source: { pointer: `/data/attributes/${POINTER_NAMES[oauthOnly]}` },
      });
    }
    return client;
  }
  // The API's input schema says the same; this holds for every other caller (the admin CLI).
  if (client.refreshIntervalSeconds != null && client.refreshIntervalSeconds < MIN_REFRESH_INTERVAL_SECONDS) {
    throw new ValidationError(`refresh_interval_seconds must be at least ${MIN_REFRESH_INTERVAL_SECONDS}.`, {
      source: { pointer: '/data/attributes/refresh_interval_seconds' },
    });
  }
  if (!client.tokenUrl) throw required('token_url');
  if (!client.clientId) throw required('client_id');
  if (!client.sealedClientSecret && !fields.clientSecret) throw required('client_secret');
  const problem = tokenUrlProblem(client.tokenUrl, deps.config.tokenUrlHttpHosts);
  if (problem) {
    throw new ValidationError(`token_url ${problem}.`, { source: { pointer: '/data/attributes/token_url' } });
  }
  checkConnectSettings(deps, client);
  return client;
}

/** The settings of connect sessions: only for the authorization_code grant, and URLs that may be used. */
function checkConnectSettings(deps: Deps, client: AuthClient): void {
  const pointer = (name: string) => ({ source: { pointer: `/data/attributes/${name}` } });
  if (client.grantType === 'client_credentials') {
    const userFacing =
      client.authorizationUrl !== null
        ? 'authorization_url'
        : client.allowedReturnUrls.length > 0
          ? 'allowed_return_urls'
          : Object.keys(client.authorizeParams).length > 0
            ? 'authorize_params'
            : undefined;
    if (userFacing) {
      throw new ValidationError(
        `${userFacing} is for the authorization_code grant: a client_credentials auth-client has no user to send to the provider.`,
        pointer(userFacing),
      );
    }
    return;
  }
  if (client.authorizationUrl !== null) {
    const problem = tokenUrlProblem(client.authorizationUrl, deps.config.tokenUrlHttpHosts);
    if (problem) throw new ValidationError(`authorization_url ${problem}.`, pointer('authorization_url'));
  }
  client.allowedReturnUrls.forEach((entry, index) => {
    const problem = returnUrlProblem(entry, deps.config.tokenUrlHttpHosts);
    if (problem) {
      throw new ValidationError(`allowed_return_urls[${index}] ${problem}.`, {
        source: { pointer: `/data/attributes/allowed_return_urls/${index}` },
      });
    }
  });
}

/** An allow-list entry as stored: normalised when it parses (one that does not is refused by checkShape). */
function normalisedEntry(entry: string): string {
  try {
    return normalisedReturnUrl(entry);
  } catch {
    return entry;
  }
}

async function withSecret(
  deps: Deps,
  client: AuthClient,
  clientSecret: string | undefined,
): Promise<AuthClient> {
  if (clientSecret === undefined || client.type !== 'oauth2') return client;
  return {
    ...client,
    sealedClientSecret: await deps.envelope.seal(clientSecret, clientSecretBinding(client)),
  };
}

const POINTER_NAMES = {
  authMethod: 'auth_method',
  tokenUrl: 'token_url',
  clientId: 'client_id',
  clientSecret: 'client_secret',
  scopes: 'scopes',
  defaultExpiresIn: 'default_expires_in',
  refreshIntervalSeconds: 'refresh_interval_seconds',
  grantType: 'grant_type',
  authorizationUrl: 'authorization_url',
  pkce: 'pkce',
  authorizeParams: 'authorize_params',
  allowedReturnUrls: 'allowed_return_urls',
} as const;

function required(attribute: string): ValidationError {
  return new ValidationError(`${attribute} is required.`, {
    source: { pointer: `/data/attributes/${attribute}` },
  });
}
