import { UnprocessableError, UpstreamError, type AppError } from '../errors';
import type { AuthClient } from '../model';
import type { Services } from '../services';
import { clientSecretBinding } from '../authClients/binding';
import { tokenUrlProblem } from './addressPolicy';
import { requestTokens, type TokenGrant, type TokenOutcome } from './tokenEndpoint';

type Deps = Pick<Services, 'envelope' | 'config'>;

/**
 * Runs `grant` at an auth-client's token endpoint, as the client authenticates there, within the
 * service's timeout and address policy. A client that cannot be used (missing, not oauth2,
 * incomplete, its token URL no longer allowed) is a permanent failure, as the provider refusing
 * it would be. Every token request of the service (refresh, connect, client credentials) comes here.
 */
export async function requestProviderTokens(
  deps: Deps,
  client: AuthClient | undefined,
  grant: TokenGrant,
): Promise<TokenOutcome> {
  if (
    !client ||
    client.type !== 'oauth2' ||
    !client.tokenUrl ||
    !client.clientId ||
    !client.sealedClientSecret
  ) {
    return {
      kind: 'permanent',
      error: 'invalid_client',
      description: 'the auth-client is missing or incomplete',
    };
  }
  const problem = tokenUrlProblem(client.tokenUrl, deps.config.tokenUrlHttpHosts);
  if (problem) {
    return { kind: 'permanent', error: 'invalid_token_url', description: `the token URL ${problem}` };
  }
  const clientSecret = await deps.envelope.open(client.sealedClientSecret, clientSecretBinding(client));
  if (typeof clientSecret !== 'string') {
    return {
      kind: 'permanent',
      error: 'invalid_client',
      description: 'the auth-client has no client secret',
    };
  }
  return requestTokens(
    {
      tokenUrl: client.tokenUrl,
      clientId: client.clientId,
      clientSecret,
      authMethod: client.authMethod,
      scopes: client.scopes,
    },
    grant,
    { timeoutMs: deps.config.refreshTimeoutMs, allowHttp: new URL(client.tokenUrl).protocol === 'http:' },
  );
}

/**
 * The lifetime to record for an access token: the provider's `expires_in`, else the auth-client's
 * default, else the service's.
 */
export function tokenLifetime(
  deps: Pick<Services, 'config'>,
  client: Pick<AuthClient, 'defaultExpiresIn'> | undefined,
  expiresIn: number | undefined,
): number {
  return expiresIn ?? client?.defaultExpiresIn ?? deps.config.defaultTokenLifetimeSeconds;
}

/**
 * The credentials a secret stores for tokens from its provider: the access token, the refresh token
 * when there is one (a client credentials token has none), and the lifetime they were given.
 */
export function tokenCredentials(tokens: {
  readonly accessToken: string;
  readonly refreshToken?: string | undefined;
  readonly expiresIn: number;
}): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    ...(tokens.refreshToken !== undefined ? { refresh_token: tokens.refreshToken } : {}),
    expires_in: tokens.expiresIn,
  };
}

export type TokenFailure = Exclude<TokenOutcome, { kind: 'success' }>;
type Transient = Extract<TokenOutcome, { kind: 'transient' }>;

/** The HTTP status that tells a caller how a token request failed transiently. */
export const UPSTREAM_STATUS: Record<Transient['reason'], 502 | 503 | 504> = {
  unavailable: 502,
  bad_response: 502,
  rate_limited: 503,
  network: 503,
  timeout: 504,
};

/**
 * The error answering a request whose token request failed before anything was stored (`what`
 * names the request: "the client credentials request"): 422 with the provider's error code when it
 * refused, 502/503/504 when it could not answer.
 */
export function tokenRequestError(failure: TokenFailure, what: string): AppError {
  if (failure.kind === 'permanent') {
    return new UnprocessableError(
      failure.error,
      'Token request rejected by the provider',
      `The token endpoint refused ${what} (${failure.error}${failure.description ? `: ${failure.description}` : ''}). Nothing was stored.`,
    );
  }
  return new UpstreamError(
    UPSTREAM_STATUS[failure.reason],
    failure.reason,
    `${capitalised(what)} did not complete: ${failure.description}. Nothing was stored; try again later.`,
  );
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
