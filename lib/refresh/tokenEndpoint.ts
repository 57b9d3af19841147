import * as oauth from 'oauth4webapi';
import type { AuthMethod } from '../model';
import { safeFetch } from './safeFetch';

export interface TokenClient {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authMethod: AuthMethod;
  readonly scopes: readonly string[];
}

export type RefreshOutcome =
  | {
      readonly kind: 'success';
      readonly accessToken: string;
      /** Absent when the provider did not rotate the refresh token. */
      readonly refreshToken?: string;
      /** Absent when the provider did not say. */
      readonly expiresIn?: number;
    }
  | { readonly kind: 'permanent'; readonly error: string; readonly description: string }
  | {
      readonly kind: 'transient';
      readonly reason: 'unavailable' | 'rate_limited' | 'timeout' | 'network' | 'bad_response';
      readonly description: string;
    };

/**
 * The OAuth error codes after which retrying with the same refresh token cannot succeed
 * (RFC 6749 §5.2). Anything else the provider says with a 4xx is treated the same way, since
 * our request would not change; 5xx, 429 and network faults are transient.
 */
/** Ten years: what the API accepts as expires_in; a provider's larger value is taken as this. */
const MAX_EXPIRES_IN = 315_360_000;

/** Provider text is stored on the secret: keep it to a size that cannot crowd the item. */
function bounded(text: string, max = 1000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const PERMANENT_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope']);

/** Runs the RFC 6749 §6 refresh_token grant and classifies what happened. Never throws. */
export async function refreshAtTokenEndpoint(
  client: TokenClient,
  refreshToken: string,
  options: { timeoutMs: number; allowHttp: boolean },
): Promise<RefreshOutcome> {
  const as: oauth.AuthorizationServer = {
    issuer: new URL(client.tokenUrl).origin,
    token_endpoint: client.tokenUrl,
  };
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const clientAuth =
    client.authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(client.clientSecret)
      : oauth.ClientSecretBasic(client.clientSecret);
  let response: Response;
  try {
    response = await oauth.refreshTokenGrantRequest(as, oauthClient, clientAuth, refreshToken, {
      signal: AbortSignal.timeout(options.timeoutMs),
      [oauth.customFetch]: safeFetch,
      [oauth.allowInsecureRequests]: options.allowHttp,
      ...(client.scopes.length > 0 ? { additionalParameters: { scope: client.scopes.join(' ') } } : {}),
    });
  } catch (error) {
    return networkOutcome(error);
  }
  if (response.status >= 500) {
    return {
      kind: 'transient',
      reason: 'unavailable',
      description: `token endpoint answered ${response.status}`,
    };
  }
  if (response.status === 429) {
    return {
      kind: 'transient',
      reason: 'rate_limited',
      description: 'token endpoint answered 429 (rate limited)',
    };
  }
  try {
    const result = await oauth.processRefreshTokenResponse(as, oauthClient, response);
    return {
      kind: 'success',
      accessToken: result.access_token,
      ...(typeof result.refresh_token === 'string' && result.refresh_token
        ? { refreshToken: result.refresh_token }
        : {}),
      ...(typeof result.expires_in === 'number' &&
      Number.isFinite(result.expires_in) &&
      result.expires_in >= 0
        ? { expiresIn: Math.min(Math.floor(result.expires_in), MAX_EXPIRES_IN) }
        : {}),
    };
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      const description = typeof error.error_description === 'string' ? bounded(error.error_description) : '';
      return PERMANENT_ERRORS.has(error.error) || (error.status >= 400 && error.status < 500)
        ? { kind: 'permanent', error: bounded(error.error, 100), description }
        : { kind: 'transient', reason: 'bad_response', description: `${error.error} ${description}`.trim() };
    }
    if (error instanceof oauth.WWWAuthenticateChallengeError) {
      return {
        kind: 'permanent',
        error: 'invalid_client',
        description: 'the token endpoint refused the client',
      };
    }
    return {
      kind: 'transient',
      reason: 'bad_response',
      description: 'the token endpoint gave an unreadable answer',
    };
  }
}

function networkOutcome(error: unknown): RefreshOutcome {
  // Errors raised inside Node's own modules may come from another realm (as under jest), so
  // they are recognised by their fields rather than with instanceof.
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  // The only abort signal given is the timeout's.
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'transient', reason: 'timeout', description: 'the token endpoint did not answer in time' };
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === 'EFORBIDDENADDRESS') {
    return {
      kind: 'permanent',
      error: 'forbidden_address',
      description: 'the token URL resolves to a forbidden address',
    };
  }
  return {
    kind: 'transient',
    reason: 'network',
    description: `could not reach the token endpoint${code ? ` (${code})` : ''}`,
  };
}
