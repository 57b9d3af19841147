import { NotFoundError, UnprocessableError, UpstreamError } from '../errors';
import type { Membership } from '../model';
import { isId } from '../ids';
import { openCredentials, secretResource, type SecretResource } from '../secrets/view';
import type { Services } from '../services';
import { countRefresh, refreshOutcomeOf, thrownOutcome } from './outcomeMetrics';
import { refreshSecret, type RefreshResult } from './refreshSecret';
import type { TokenOutcome } from './tokenEndpoint';
import { UPSTREAM_STATUS, type TokenFailure } from './providerTokens';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

type Transient = Extract<TokenOutcome, { kind: 'transient' }>;

/**
 * POST …/secrets/{id}/refresh: refreshes now and answers with the secret. A provider's
 * permanent refusal answers 422 (the secret is then in `error`); a transient failure answers
 * 502/503/504 and leaves the credentials as they were.
 */
export async function refreshSecretNow(
  deps: Deps,
  membership: Membership,
  secretId: string,
  requestedAt: number = Date.now(),
): Promise<SecretResource> {
  if (!isId(secretId)) throw new NotFoundError('No such auth-secret in this workspace.');
  let result: RefreshResult;
  try {
    result = await refreshSecret(deps, membership.workspaceId, secretId, {
      requestedAt,
      actorUserId: membership.userId,
    });
  } catch (error) {
    const outcome = thrownOutcome(error);
    if (outcome) countRefresh('on_demand', outcome);
    throw error;
  }
  if (result.kind === 'skipped') throw new Error('a refresh on demand is never skipped');
  countRefresh('on_demand', refreshOutcomeOf(result));
  const { secret } = result;
  const failure = failureOf(result);
  if (failure?.kind === 'permanent') {
    throw new UnprocessableError(
      failure.error,
      'Refresh rejected by the provider',
      `The token endpoint refused the refresh (${failure.error}${failure.description ? `: ${failure.description}` : ''}); the secret is now in state error.`,
    );
  }
  if (failure?.kind === 'transient') {
    // Past REFRESH_GIVE_UP_SECONDS of failures this one put the secret in error: say so.
    const gaveUp =
      secret.state === 'error' && secret.refreshError?.transient === true && secret.error !== null
        ? ` Refreshes have failed since ${secret.failingSince ?? secret.refreshError.at}: the secret is now in state error (${secret.error}).`
        : ' Try again later.';
    throw new UpstreamError(
      UPSTREAM_STATUS[failure.reason],
      failure.reason,
      `The refresh did not complete: ${failure.description}. The stored credentials are unchanged.${gaveUp}`,
    );
  }
  // Deleted while its refresh ran: the tokens are kept for a restore, but not answered.
  if (secret.deletedAt !== undefined) throw new NotFoundError('No such auth-secret in this workspace.');
  return secretResource(secret, await openCredentials(deps.envelope, secret), deps.config);
}

/**
 * What went wrong, if anything: this call's own outcome, or, for a call that waited on another
 * refresh, the outcome that answers it (see outcomeAnswering).
 */
function failureOf(result: Exclude<RefreshResult, { kind: 'skipped' }>): TokenFailure | undefined {
  if (result.kind === 'ran') return result.outcome.kind === 'success' ? undefined : result.outcome;
  const { answer } = result;
  if (answer === undefined) {
    // Another refresh held the lease all along and stored nothing in time.
    return {
      kind: 'transient',
      reason: 'unavailable',
      description: 'another refresh of this secret did not finish in time',
    };
  }
  if (answer.kind === 'success') return undefined;
  if (answer.kind === 'permanent') return answer;
  const reason = answer.reason in UPSTREAM_STATUS ? (answer.reason as Transient['reason']) : 'unavailable';
  return { kind: 'transient', reason, description: answer.description };
}
