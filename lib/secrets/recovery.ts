import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { withChange } from '../events/change';
import { isId } from '../ids';
import { intervalDueFrom, type Membership, type SecretRecord } from '../model';
import { logError } from '../observability';
import type { Services } from '../services';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { AuthClientGoneError, ConditionFailedError } from '../store/ports';
import { openCredentials, secretResource, type SecretResource } from './view';
import { freshRefreshHistory, refuseWhileRefreshing } from './credentialChange';
import { findAuthClient, secretNotFound } from './useCases';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

/**
 * Brings a deleted secret back as it was, within its recovery window (404 after it, even before the
 * purge ran). Its auth-client must still exist (409 otherwise), unless `authClientId` names another
 * one of the same type to restore it onto: that is a change of auth-client as a PATCH makes it (the
 * caller needs the edit permission too, checked at the edge), with a new refresh history and a new
 * credentials version under the new client.
 */
export async function restoreSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  now: () => Date = () => new Date(),
  options: { authClientId?: string } = {},
): Promise<SecretResource> {
  if (!isId(secretId)) throw secretNotFound();
  const { workspaceId } = membership;
  return withOptimisticRetry('secret', async () => {
    const current = await deps.secrets.getDeleted(workspaceId, secretId);
    const at = now();
    if (!current || current.purgeAt === undefined || Date.parse(current.purgeAt) <= at.getTime()) {
      if (await deps.secrets.get(workspaceId, secretId)) {
        throw new ConflictError('This auth-secret is not deleted: there is nothing to restore.');
      }
      throw new NotFoundError(
        'No deleted auth-secret with this id can be restored (its recovery window ended, or it never existed).',
      );
    }
    const { deletedAt: _deletedAt, purgeAt: _purgeAt, ...kept } = current;
    const onto = await restoredOnto(deps, membership, current, options.authClientId, at);
    const restored: SecretRecord = withChange(
      { ...kept, ...(onto ?? {}), version: current.version + 1 },
      'auth_secret.restored',
      at,
    );
    // Onto another client, its credentials are kept as a new version under that client.
    const change = onto ? { source: 'restore' as const, actorUserId: membership.userId } : undefined;
    let written: SecretRecord;
    try {
      written = await deps.secrets.replace(restored, current.version, change);
    } catch (error) {
      if (!(error instanceof AuthClientGoneError)) throw error;
      throw new ConflictError(
        `Auth-client ${restored.authClientId} is gone (or being deleted): restore the secret onto another ` +
          `auth-client of type ${restored.authType} by naming it in the request's auth-client relationship.`,
      );
    }
    return secretResource(written, await openCredentials(deps.envelope, written), deps.config);
  });
}

/**
 * Where a restored secret goes: back onto its own auth-client, or onto the one the request names
 * (its own may be gone: an auth-client deleted with ?cascade=true takes its secrets' client with
 * it). The credentials must suit the new client as they are, so it must be of the same type.
 */
async function restoredOnto(
  deps: Deps,
  membership: Membership,
  secret: SecretRecord,
  authClientId: string | undefined,
  at: Date,
): Promise<Partial<SecretRecord> | undefined> {
  if (authClientId === undefined || authClientId === secret.authClientId) return undefined;
  // Its refresh in flight talks to the old client's provider; what it stores belongs to that one.
  refuseWhileRefreshing(secret, at, 'restore it onto another auth-client');
  const client = await findAuthClient(deps, membership, authClientId);
  if (client.type !== secret.authType) {
    throw new ValidationError(
      `The secret holds ${secret.authType} credentials; auth-client ${authClientId} is of type ${client.type}.`,
      { source: { pointer: '/data/relationships/auth-client/data/id' } },
    );
  }
  return { authClientId: client.id, ...freshRefreshHistory(intervalDueFrom(client, at)) };
}

/**
 * Deletes for good the deleted secrets whose recovery window ended by `now` (each with its kept
 * versions, and an `auth_secret.deleted` event). A secret restored meanwhile is left alone.
 */
export async function purgeDeletedSecrets(
  deps: Pick<Services, 'secrets'>,
  now: Date = new Date(),
  options: { stopStartingAt?: number } = {},
): Promise<{ purged: number; failed: number; left: number }> {
  const by = now.toISOString();
  const due = await deps.secrets.listPurgeable(by);
  let purged = 0;
  let failed = 0;
  let done = 0;
  for (const key of due) {
    // Out of time: the next run goes on (what is left stays recoverable-looking until then: 404 to restore).
    if (options.stopStartingAt !== undefined && Date.now() >= options.stopStartingAt) break;
    done++;
    try {
      await deps.secrets.delete(key.workspaceId, key.secretId, { purgeBy: by });
      purged++;
    } catch (error) {
      // Restored, purged by a run beside this one, or not yet due (the index lags): not this run's.
      if (error instanceof ConditionFailedError) continue;
      // One item that cannot be purged (malformed, a failing call) must not stop the others.
      failed++;
      logError('purge of a deleted secret failed', error, { secretId: key.secretId });
    }
  }
  return { purged, failed, left: due.length - done };
}
