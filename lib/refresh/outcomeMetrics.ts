import { AppError } from '../errors';
import { count } from '../observability';
import type { RefreshResult } from './refreshSecret';

/** What started a refresh: the schedule (refreshDue), or a client (POST …/refresh). */
type RefreshTrigger = 'scheduled' | 'on_demand';

/**
 * How one refresh ended, as the `RefreshOutcomes` metric counts it (dimensions `outcome` and
 * `reason`, beside `trigger`). Both take values from small fixed sets, so that the metric keeps
 * few dimension combinations whatever providers answer:
 *
 * - `success` (reason `none`);
 * - `permanent`: the provider refused the grant; reason its RFC 6749 §5.2 error code, `other` for
 *   any other code;
 * - `transient`: reason `unavailable`, `rate_limited`, `timeout`, `network` or `bad_response`;
 * - `gave_up`: a transient failure after REFRESH_GIVE_UP_SECONDS of them, which put the secret in
 *   error; reason as for `transient`;
 * - `skipped`: no token request made: `leased` (another refresh held it), `not_due` (the schedule
 *   found it no longer due), `coalesced` (on demand: answered by another refresh's outcome);
 * - `error`: the refresh itself failed (storage, KMS), reason `internal`.
 */
export type RefreshOutcome = {
  readonly outcome: 'success' | 'permanent' | 'transient' | 'gave_up' | 'skipped' | 'error';
  readonly reason: string;
};

const OAUTH_ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

export function refreshOutcomeOf(result: RefreshResult): RefreshOutcome {
  switch (result.kind) {
    case 'skipped':
      return { outcome: 'skipped', reason: result.why };
    case 'waited':
      return { outcome: 'skipped', reason: 'coalesced' };
    default: {
      const { outcome, secret } = result;
      if (outcome.kind === 'success') return { outcome: 'success', reason: 'none' };
      if (outcome.kind === 'permanent') {
        return {
          outcome: 'permanent',
          reason: OAUTH_ERROR_CODES.has(outcome.error) ? outcome.error : 'other',
        };
      }
      return { outcome: secret.state === 'error' ? 'gave_up' : 'transient', reason: outcome.reason };
    }
  }
}

/** A refresh that threw: it failed to run (5xx, or no answer), or there was nothing to refresh (404, 422). */
export function thrownOutcome(error: unknown): RefreshOutcome | undefined {
  return error instanceof AppError && error.status < 500
    ? undefined
    : { outcome: 'error', reason: 'internal' };
}

/** Counts one refresh (on demand: a run of the schedule tallies its refreshes and counts them at its end). */
export function countRefresh(trigger: RefreshTrigger, outcome: RefreshOutcome, value = 1): void {
  count('RefreshOutcomes', { trigger, ...outcome }, value);
}
