import { ConflictError } from '../errors';
import type { SecretRecord } from '../model';

/**
 * What new credentials (or a new auth-client) start on a secret, however they came (PATCH, a
 * version restored, a restore onto another client): a new refresh history, so that no earlier
 * refresh answers the next one; the refresh interval counting from now (`intervalDueAt`, as the
 * caller computed it); and no (expired) lease.
 */
export function freshRefreshHistory(intervalDueAt: string | null): Partial<SecretRecord> {
  return {
    refreshedAt: null,
    refreshError: null,
    refreshFailures: 0,
    failingSince: null,
    nextAttemptAt: null,
    intervalDueAt,
    leaseOwner: undefined,
    leaseUntil: undefined,
  };
}

/**
 * 409 while a refresh of the secret is in flight: it will store the provider's new tokens, and
 * replacing the credentials under it would lose either those or these. `retry` says what to send
 * again ("send the credentials again").
 */
export function refuseWhileRefreshing(
  secret: Pick<SecretRecord, 'leaseUntil'>,
  at: Date,
  retry: string,
): void {
  if (secret.leaseUntil !== undefined && secret.leaseUntil > at.getTime()) {
    throw new ConflictError(`A refresh of this secret is in progress; ${retry} in a moment.`);
  }
}
