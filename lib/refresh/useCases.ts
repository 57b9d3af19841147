import { NotFoundError, UnprocessableError, UpstreamError } from '../errors';
import type { Membership } from '../model';
import { isId } from '../ids';
import { openCredentials, secretResource, type SecretResource } from '../secrets/view';
import type { Services } from '../services';
import { refreshSecret } from './refreshSecret';
import type { RefreshOutcome } from './tokenEndpoint';

type Deps = Pick<Services, 'directory' | 'secrets' | 'envelope' | 'config'>;

const UPSTREAM_STATUS: Record<Extract<RefreshOutcome, { kind: 'transient' }>['reason'], 502 | 503 | 504> = {
  unavailable: 502,
  bad_response: 502,
  rate_limited: 503,
  network: 503,
  timeout: 504,
};

/**
 * POST …/secrets/{id}/refresh: refreshes now and answers with the secret. A provider's
 * permanent refusal answers 422 (the secret is then in `error`); a transient failure answers
 * 502/503/504 and leaves the credentials as they were.
 */
export async function refreshSecretNow(
  deps: Deps,
  membership: Membership,
  secretId: string,
): Promise<SecretResource> {
  if (!isId(secretId)) throw new NotFoundError('No such auth-secret in this workspace.');
  const startedAt = new Date().toISOString();
  const result = await refreshSecret(deps, membership.workspaceId, secretId);
  const { secret } = result;
  const failure =
    result.kind === 'ran'
      ? result.outcome.kind === 'success'
        ? undefined
        : result.outcome
      : secret.refreshError && secret.refreshError.at >= startedAt
        ? secret.refreshError.transient
          ? ({
              kind: 'transient',
              reason: 'unavailable',
              description: secret.refreshError.description,
            } as const)
          : ({
              kind: 'permanent',
              error: secret.refreshError.code,
              description: secret.refreshError.description,
            } as const)
        : undefined;
  if (failure?.kind === 'permanent') {
    throw new UnprocessableError(
      failure.error,
      'Refresh rejected by the provider',
      `The token endpoint refused the refresh (${failure.error}${failure.description ? `: ${failure.description}` : ''}); the secret is now in state error.`,
    );
  }
  if (failure?.kind === 'transient') {
    throw new UpstreamError(
      UPSTREAM_STATUS[failure.reason],
      failure.reason,
      `The refresh did not complete: ${failure.description}. The stored credentials are unchanged; try again later.`,
    );
  }
  return secretResource(secret, await openCredentials(deps.envelope, secret));
}
