import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { DecryptionError } from '../crypto/dataKeys';
import { logError } from '../observability';
import { isId, newId } from '../ids';
import {
  intervalDueFrom,
  type AuthClient,
  type AuthClientType,
  type CredentialSource,
  type Membership,
  type SecretRecord,
} from '../model';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { AuthClientGoneError, type SecretListFilter, type SecretPageRequest } from '../store/ports';
import type { Services } from '../services';
import { readCredentials, type CreateSecretInput, type SecretInput } from './input';
import {
  requestProviderTokens,
  tokenCredentials,
  tokenLifetime,
  tokenRequestError,
} from '../refresh/providerTokens';
import { openCredentials, secretBinding, secretResource, type SecretResource } from './view';
import { withChange } from '../events/change';
import { requireRevision, type ExpectedRevision } from '../revisions';
import { freshRefreshHistory, refuseWhileRefreshing } from './credentialChange';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

export interface SecretList {
  readonly resources: SecretResource[];
  /** How many secrets match the filter in all. */
  readonly total: number;
  /** Whether secrets follow this page. */
  readonly more: boolean;
}

/** Lists a workspace's secrets, optionally filtered, one page (by offset or by key) at a time. */
export async function listSecrets(
  deps: Deps,
  membership: Membership,
  filter: SecretListFilter,
  page: SecretPageRequest,
): Promise<SecretList> {
  const { secrets, total, more } = await deps.secrets.list(membership.workspaceId, filter, page);
  const resources = await Promise.all(
    secrets.map(async (secret) => {
      // A deleted secret's credentials stay sealed until it is restored: deleting a leaked
      // credential must take it out of reach of everyone who may list.
      if (secret.deletedAt !== undefined) return secretResource(secret, null, deps.config);
      try {
        return secretResource(secret, await openCredentials(deps.envelope, secret), deps.config);
      } catch (error) {
        if (!(error instanceof DecryptionError)) throw error;
        // One tampered item must not take the whole page down; it is shown without credentials.
        logError('stored credentials do not decrypt', error, { secretId: secret.id });
        return secretResource(secret, null, deps.config);
      }
    }),
  );
  return { resources, total, more };
}

/** Reads one secret of the caller's workspace; a secret of any other workspace is simply not found. */
export async function getSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
): Promise<SecretResource> {
  const secret = await findSecret(deps, membership, secretId);
  return secretResource(secret, await openCredentials(deps.envelope, secret), deps.config);
}

/**
 * As getSecret, but when `unchanged` says the caller has the secret at its current revision
 * (`If-None-Match`), answers just that revision: its credentials are not opened (no KMS call).
 */
export async function getSecretUnlessUnchanged(
  deps: Deps,
  membership: Membership,
  secretId: string,
  unchanged: (revision: number) => boolean,
): Promise<SecretResource | { readonly unchangedRevision: number }> {
  const secret = await findSecret(deps, membership, secretId);
  if (unchanged(secret.version)) return { unchangedRevision: secret.version };
  return secretResource(secret, await openCredentials(deps.envelope, secret), deps.config);
}

/**
 * Creates a secret: the auth-client must belong to the workspace's tenant, the credentials must
 * suit its type; they are sealed before the one conditional write. A secret of a
 * client_credentials auth-client may come without credentials: its first token is requested now.
 */
export async function createSecret(
  deps: Deps,
  membership: Membership,
  input: CreateSecretInput,
  now: Date = new Date(),
  options: { source?: CredentialSource } = {},
): Promise<SecretResource> {
  const client = await findAuthClient(deps, membership, input.authClientId);
  const given = input.attributes.credentials;
  const credentials =
    given !== undefined ? readCredentials(client, given) : await firstClientToken(deps, client);
  const id = newId(now.getTime());
  const timestamp = now.toISOString();
  const draft: SecretRecord = {
    id,
    tenantId: membership.tenantId,
    workspaceId: membership.workspaceId,
    userId: membership.userId,
    authClientId: client.id,
    authType: client.type,
    name: input.attributes.name,
    state: input.attributes.state ?? 'ready',
    error: input.attributes.error,
    sealedCredentials: '',
    expiresAt: expiresAt(client.type, credentials, now),
    refreshedAt: null,
    refreshError: null,
    refreshFailures: 0,
    failingSince: null,
    nextAttemptAt: null,
    intervalDueAt: intervalDueFrom(client, now),
    version: 1,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  const secret = withChange(draft, 'auth_secret.created', now);
  secret.sealedCredentials = await deps.envelope.seal(credentials, secretBinding(secret));
  const stored = await whileAuthClientStays(() =>
    deps.secrets.create(secret, { source: options.source ?? 'create', actorUserId: membership.userId }),
  );
  return secretResource(stored, credentials, deps.config);
}

/** Credentials left out of a create: only a client_credentials auth-client can get them itself. */
async function firstClientToken(deps: Deps, client: AuthClient): Promise<Record<string, unknown>> {
  if (client.type !== 'oauth2' || client.grantType !== 'client_credentials') {
    throw new ValidationError('credentials is required.', {
      source: { pointer: '/data/attributes/credentials' },
    });
  }
  const outcome = await requestProviderTokens(deps, client, { type: 'client_credentials' });
  if (outcome.kind !== 'success') throw tokenRequestError(outcome, 'the client credentials request');
  return tokenCredentials({ ...outcome, expiresIn: tokenLifetime(deps, client, outcome.expiresIn) });
}

/**
 * Applies a partial update. The write is conditional on the version read; a PATCH that loses a
 * race re-reads and re-applies its own changes (it sets values, so that is safe), and answers
 * 409 only if it keeps losing.
 */
export async function patchSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  input: SecretInput,
  now: () => Date = () => new Date(),
  options: {
    ifMatch?: ExpectedRevision;
    source?: CredentialSource;
    /**
     * New credentials that outrank a refresh in flight (a user's fresh consent): written anyway, the
     * refresh's result discarded. Otherwise such a write answers 409.
     */
    overRefresh?: boolean;
  } = {},
): Promise<SecretResource> {
  const client =
    input.authClientId === undefined ? undefined : await findAuthClient(deps, membership, input.authClientId);
  return withOptimisticRetry('secret', async () => {
    const current = await findSecret(deps, membership, secretId);
    requireRevision(options.ifMatch, current.version, 'auth-secret');
    // Sending back the relationship the secret already has (as the document's example does) changes nothing.
    const newClient = client !== undefined && client.id !== current.authClientId ? client : undefined;
    const newCredentials = input.attributes.credentials !== undefined;
    const credentialsChange = newCredentials || newClient !== undefined;
    if (credentialsChange && !options.overRefresh) {
      refuseWhileRefreshing(current, now(), 'send the credentials again');
    }
    const state = input.attributes.state ?? current.state;
    // Moving a secret back to ready clears its error unless the request gives one.
    const error =
      input.attributes.error !== undefined
        ? input.attributes.error
        : input.attributes.state === 'ready'
          ? null
          : current.error;
    // A refresh in flight stores its outcome's state and error when it ends (ready, or error with
    // the provider's reason): a state or error changed under it would be answered and then lost.
    if ((state !== current.state || error !== current.error) && !options.overRefresh) {
      refuseWhileRefreshing(current, now(), 'send the state again');
    }
    // Credentials are checked against the auth-client they will belong to: the one the request
    // named (read above, whether or not it is the secret's own), else the secret's own.
    const targetClient = credentialsChange
      ? (client ??
        (await findAuthClient(deps, membership, current.authClientId, '/data/attributes/credentials')))
      : undefined;
    const clientType = targetClient?.type;
    const given = input.attributes.credentials ?? (await openCredentials(deps.envelope, current));
    const credentials = targetClient ? readCredentials(targetClient, given) : given;
    const at = now();
    // Whoever puts a secret in error back to ready starts its failures over (and its give-up time).
    const reopened = current.state === 'error' && state === 'ready';
    const recomputeExpiry = clientType !== undefined && (newCredentials || clientType !== current.authType);
    const patched: SecretRecord = {
      ...current,
      name: input.attributes.name ?? current.name,
      state,
      error,
      authClientId: newClient?.id ?? current.authClientId,
      authType: newClient?.type ?? current.authType,
      ...(reopened ? { refreshFailures: 0, failingSince: null, nextAttemptAt: null } : {}),
      ...(targetClient ? freshRefreshHistory(intervalDueFrom(targetClient, at)) : {}),
      expiresAt: recomputeExpiry ? expiresAt(clientType, credentials, at) : current.expiresAt,
      version: current.version + 1,
      updatedAt: at.toISOString(),
    };
    const next = withChange(patched, 'auth_secret.updated', at, { previous: current });
    if (credentialsChange) {
      next.sealedCredentials = await deps.envelope.seal(credentials, secretBinding(next));
    }
    const change = credentialsChange
      ? { source: options.source ?? 'patch', actorUserId: membership.userId }
      : undefined;
    const written = await whileAuthClientStays(() => deps.secrets.replace(next, current.version, change));
    return secretResource(written, credentials, deps.config);
  });
}

/** A write naming an auth-client that was deleted meanwhile (it lost the race): 409. */
export async function whileAuthClientStays<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof AuthClientGoneError)) throw error;
    throw new ConflictError('The auth-client was deleted, or is being deleted, while this request ran.');
  }
}

export async function findSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
): Promise<SecretRecord> {
  const secret = isId(secretId) ? await deps.secrets.get(membership.workspaceId, secretId) : undefined;
  if (!secret) throw secretNotFound();
  return secret;
}

export async function findAuthClient(
  deps: Deps,
  membership: Membership,
  authClientId: string,
  pointer = '/data/relationships/auth-client/data/id',
) {
  const client = isId(authClientId)
    ? await deps.authClients.get(membership.tenantId, authClientId)
    : undefined;
  if (!client) {
    throw new ValidationError(`No auth-client ${authClientId} in this workspace's tenant.`, {
      source: { pointer },
    });
  }
  return client;
}

export function secretNotFound(): NotFoundError {
  return new NotFoundError('No such auth-secret in this workspace.');
}

/** oauth2 credentials carry `expires_in` seconds from now; other credentials do not expire. */
function expiresAt(type: AuthClientType, credentials: Record<string, unknown>, now: Date): string | null {
  const expiresIn = credentials.expires_in;
  if (type !== 'oauth2' || typeof expiresIn !== 'number') return null;
  return new Date(now.getTime() + expiresIn * 1000).toISOString();
}

/**
 * DELETE of a secret: recoverable for DELETE_RECOVERY_DAYS (it leaves every list but the deleted
 * one, answers 404, is never refreshed), unless the window is 0 or `force` asks to delete it for
 * good. `force` also deletes a secret that is already deleted (recoverable) for good.
 */
export async function deleteSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  options: { ifMatch?: ExpectedRevision; force?: boolean } = {},
  now: () => Date = () => new Date(),
): Promise<void> {
  if (!isId(secretId)) throw secretNotFound();
  const { workspaceId } = membership;
  await withOptimisticRetry('secret', async () => {
    const current =
      (await deps.secrets.get(workspaceId, secretId)) ??
      (options.force ? await deps.secrets.getDeleted(workspaceId, secretId) : undefined);
    if (!current) throw secretNotFound();
    requireRevision(options.ifMatch, current.version, 'auth-secret');
    await removeSecret(deps, current, { force: options.force ?? false, at: now() });
  });
}

/**
 * Deletes a secret as read (conditional on its version: `ConditionFailedError` when it changed):
 * recoverably, or for good when `force`, when the window is 0, or when it is deleted already.
 */
export async function removeSecret(
  deps: Pick<Services, 'secrets' | 'config'>,
  current: SecretRecord,
  options: { force: boolean; at: Date },
): Promise<void> {
  const window = deps.config.deleteRecoverySeconds;
  if (options.force || window === 0 || current.deletedAt !== undefined) {
    await deps.secrets.delete(current.workspaceId, current.id, { version: current.version });
    return;
  }
  const { at } = options;
  // Its content stays as it was (a restore brings it back unchanged), lease included: a refresh in
  // flight still saves what the provider answered (a rotated refresh token a restore will need).
  const deleted = withChange(
    {
      ...current,
      deletedAt: at.toISOString(),
      purgeAt: new Date(at.getTime() + window * 1000).toISOString(),
      version: current.version + 1,
    },
    'auth_secret.soft_deleted',
    at,
  );
  await deps.secrets.replace(deleted, current.version);
}
