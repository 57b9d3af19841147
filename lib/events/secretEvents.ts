import { idFromSeed } from '../ids';
import type { SecretEventType, SecretRecord } from '../model';

/**
 * The events of auth-secrets: what a platform hears through EventBridge and webhooks, and reads at
 * GET /v2/workspaces/{ws}/events. Never a credential, a token or a client secret: the body is
 * built field by field from ids and states, not from the record.
 */
export interface SecretEvent {
  readonly id: string;
  readonly type: SecretEventType;
  readonly occurred_at: string;
  readonly data: {
    readonly tenant_id: string;
    readonly workspace_id: string;
    readonly auth_secret_id: string;
    readonly auth_client_id: string;
    readonly user_id: string;
    readonly state: SecretRecord['state'];
    readonly error: string | null;
    /** For failed refreshes: the provider's error code, or why the refresh could not reach it. */
    readonly error_code: string | null;
    /**
     * The secret's revision after this change (its `meta.revision` and ETag); a deletion is one
     * past the last. It only grows for a secret, so a receiver can tell a late delivery (events are
     * delivered in parallel, and retried) from a newer one. Absent on events stored before it was.
     */
    readonly revision?: number;
  };
}

/**
 * One write of an auth-secret as the table's stream reports it (see lib/store/secretStream.ts):
 * the secret before and after (absent: created, or deleted), and the stream's own id of the record.
 */
export interface SecretWrite {
  /** The stream record's id: unique per write, the same when the record is read again. */
  readonly recordId: string;
  /** When the write happened, epoch milliseconds (the stream's approximate time). */
  readonly at: number;
  readonly before: SecretRecord | undefined;
  readonly after: SecretRecord | undefined;
}

/**
 * The event an item change is, if any. A write of a secret carries the event it is on the item
 * (`lastChange`, see lib/events/change.ts); a write that is no event (the refresh lease) leaves it
 * as it was. A delete is `auth_secret.deleted`, with an id derived from the stream record so that
 * reading the record again makes the same event.
 */
export function eventOfWrite(write: SecretWrite): SecretEvent | undefined {
  const { before, after } = write;
  if (!after) {
    if (!before) return undefined;
    // The stream's time is rounded down (to the second on AWS), so it can be earlier than the
    // secret's last event: the delete came after that, so it is dated after it, and sorts after it.
    const lastChangeAt = before.lastChange ? Date.parse(before.lastChange.at) + 1 : 0;
    const at = Math.max(write.at, lastChangeAt);
    return eventBody(
      before,
      {
        id: idFromSeed(at, `deleted:${write.recordId}`),
        type: 'auth_secret.deleted',
        at: new Date(at).toISOString(),
      },
      before.version + 1,
    );
  }
  const made = after.lastChange;
  if (!made || before?.lastChange?.id === made.id) return undefined;
  return eventBody(after, made, after.version);
}

function eventBody(
  secret: SecretRecord,
  change: { id: string; type: SecretEventType; at: string; errorCode?: string | undefined },
  revision: number,
): SecretEvent {
  return {
    id: change.id,
    type: change.type,
    occurred_at: change.at,
    data: {
      tenant_id: secret.tenantId,
      workspace_id: secret.workspaceId,
      auth_secret_id: secret.id,
      auth_client_id: secret.authClientId,
      user_id: secret.userId,
      state: secret.state,
      error: secret.error,
      error_code: change.errorCode ?? null,
      revision,
    },
  };
}
