import type { Envelope, SealBinding } from '../crypto/envelope';
import { paths } from '../http/links';
import { refreshDueAt, type SecretRecord } from '../model';

/** What a secret's credentials are sealed to: its tenant and workspace (KMS) and its own id (AES-GCM). */
export function secretBinding(secret: Pick<SecretRecord, 'tenantId' | 'workspaceId' | 'id'>): SealBinding {
  return {
    context: { purpose: 'auth-secret', tenant: secret.tenantId, workspace: secret.workspaceId },
    recordId: `auth-secret/${secret.id}`,
  };
}

/** Opens the secret's credentials, or `sealed` (a kept version's, sealed under the same binding). */
export async function openCredentials(
  envelope: Envelope,
  secret: SecretRecord,
  sealed: string = secret.sealedCredentials,
): Promise<Record<string, unknown>> {
  return (await envelope.open(sealed, secretBinding(secret))) as Record<string, unknown>;
}

/** What a resource needs to know of the schedule: how far ahead of a due time a run takes a secret. */
export interface ScheduleView {
  readonly refreshWindowSeconds: number;
}

/**
 * When a scheduled run will next refresh the secret, at the earliest: once it is due within the
 * run's window, and not before the end of its backoff after a failure. Null when the schedule
 * leaves it alone (not oauth2, not `ready`, nothing to expire and no refresh interval).
 */
export function nextRefreshAt(secret: SecretRecord, schedule: ScheduleView): string | null {
  const due = refreshDueAt(secret);
  if (secret.authType !== 'oauth2' || secret.state !== 'ready' || due === null) return null;
  const pickedUp = Date.parse(due) - schedule.refreshWindowSeconds * 1000;
  const backoff = secret.nextAttemptAt === null ? -Infinity : Date.parse(secret.nextAttemptAt);
  return new Date(Math.max(pickedUp, backoff)).toISOString();
}

/**
 * The JSON:API resource object of a secret, shaped like the document's examples. `credentials`
 * is null only for a stored ciphertext that does not decrypt, flagged in `meta`.
 */
export function secretResource(
  secret: SecretRecord,
  credentials: Record<string, unknown> | null,
  schedule: ScheduleView,
) {
  return {
    id: secret.id,
    type: 'auth-secret',
    attributes: {
      name: secret.name,
      state: secret.state,
      // The document shows `error` only on secrets that have one.
      ...(secret.error !== null ? { error: secret.error } : {}),
      credentials,
      created_at: secret.createdAt,
      updated_at: secret.updatedAt,
    },
    relationships: {
      workspace: {
        data: { id: secret.workspaceId, type: 'workspace' },
        links: { self: paths.workspace(secret.workspaceId) },
      },
      user: { data: { id: secret.userId, type: 'user' }, links: { self: paths.user(secret.userId) } },
      'auth-client': {
        data: { id: secret.authClientId, type: 'auth-client' },
        links: { self: paths.authClient(secret.tenantId, secret.authClientId) },
      },
    },
    links: { self: paths.secret(secret.workspaceId, secret.id) },
    // Refresh bookkeeping, kept out of the document's attributes, and the revision (bumped by every
    // write, refreshes included) that the answer's ETag names.
    meta: {
      revision: secret.version,
      expires_at: secret.expiresAt,
      refreshed_at: secret.refreshedAt,
      last_refresh_error: secret.refreshError
        ? {
            code: secret.refreshError.code,
            detail: secret.refreshError.description,
            at: secret.refreshError.at,
            transient: secret.refreshError.transient,
          }
        : null,
      ...(secret.nextAttemptAt ? { next_attempt_at: secret.nextAttemptAt } : {}),
      refresh_failures: secret.refreshFailures,
      next_refresh_at: nextRefreshAt(secret, schedule),
      ...(credentials === null && secret.deletedAt === undefined ? { credentials_unreadable: true } : {}),
      // A deleted secret (listed under filter[deleted]=true) can be restored until purge_at.
      ...(secret.deletedAt !== undefined
        ? { deleted_at: secret.deletedAt, purge_at: secret.purgeAt ?? null }
        : {}),
      ...(secret.credentialsVersion !== undefined ? { credentials_version: secret.credentialsVersion } : {}),
    },
  };
}

export type SecretResource = ReturnType<typeof secretResource>;
