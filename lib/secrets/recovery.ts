import { ConflictError, NotFoundError } from '../errors';
import { withChange } from '../events/change';
import { isId } from '../ids';
import type { Membership, SecretRecord } from '../model';
import { logError } from '../log';
import type { Services } from '../services';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { ConditionFailedError, type SecretPageRequest } from '../store/ports';
import { openCredentials, secretResource, type SecretResource } from './view';
import { listSecrets, secretNotFound, whileAuthClientStays, type SecretList } from './useCases';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

/** The workspace's deleted secrets that can still be restored, oldest first. */
export function listDeletedSecrets(
  deps: Deps,
  membership: Membership,
  page: SecretPageRequest,
): Promise<SecretList> {
  return listSecrets(deps, membership, { deleted: true }, page);
}

/**
 * Brings a deleted secret back as it was, within its recovery window (404 after it, even before the
 * purge ran). Its auth-client must still exist (409 otherwise).
 */
export async function restoreSecret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  now: () => Date = () => new Date(),
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
    const restored: SecretRecord = withChange(
      { ...kept, version: current.version + 1 },
      'auth_secret.restored',
      at,
    );
    const written = await whileAuthClientStays(() => deps.secrets.replace(restored, current.version));
    return secretResource(written, await openCredentials(deps.envelope, written), deps.config);
  });
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
