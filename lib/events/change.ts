import { newId } from '../ids';
import type { SecretChange, SecretEventType, SecretRecord } from '../model';

/**
 * Stamps the event a write of `next` is onto the record it writes. Whatever the cause, a write that
 * takes a secret from `error` back to `ready` is `auth_secret.recovered`: that is what a platform
 * waiting to hear its user reconnected listens for.
 */
export function withChange(
  next: SecretRecord,
  type: SecretEventType,
  at: Date,
  options: { previous?: Pick<SecretRecord, 'state'>; errorCode?: string } = {},
): SecretRecord {
  const recovered = options.previous?.state === 'error' && next.state === 'ready';
  const change: SecretChange = {
    id: newId(at.getTime()),
    type: recovered ? 'auth_secret.recovered' : type,
    at: at.toISOString(),
    ...(options.errorCode !== undefined && !recovered ? { errorCode: options.errorCode } : {}),
  };
  return { ...next, lastChange: change };
}
