import * as oauth from 'oauth4webapi';
import type { AuthMethod } from '../model';
import { RESPONSE_TOO_LARGE, safeFetch } from './safeFetch';

export interface TokenClient {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly authMethod: AuthMethod;
  readonly scopes: readonly string[];
}

export type TokenOutcome =
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

/** Ten years: what the API accepts as expires_in; a provider's larger value is taken as this. */
const MAX_EXPIRES_IN = 315_360_000;

/** Provider text is stored on the secret: keep it to a size that cannot crowd the item. */
function bounded(text: string, max = 1000): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The OAuth error codes after which retrying the same request cannot succeed (RFC 6749 §5.2).
 * Anything else the provider says with a 4xx is treated the same way, since our request would not
 * change; 5xx, 429 and network faults are transient.
 */
const PERMANENT_ERRORS = new Set(['invalid_grant', 'invalid_client', 'unauthorized_client', 'invalid_scope']);

/** What is asked of the token endpoint. */
export type TokenGrant =
  /** RFC 6749 §6: new tokens for a refresh token. */
  | { readonly type: 'refresh_token'; readonly refreshToken: string }
  /** RFC 6749 §4.1.3: a user's authorization code, with the PKCE verifier when a challenge was sent. */
  | {
      readonly type: 'authorization_code';
      readonly code: string;
      readonly state: string;
      readonly redirectUri: string;
      readonly codeVerifier: string | null;
    }
  /** RFC 6749 §4.4: a token for the client itself. */
  | { readonly type: 'client_credentials' };

/** Runs a grant at the auth-client's token endpoint and classifies what happened. Never throws. */
export async function requestTokens(
  client: TokenClient,
  grant: TokenGrant,
  options: { timeoutMs: number; allowHttp: boolean },
): Promise<TokenOutcome> {
  const as: oauth.AuthorizationServer = {
    issuer: new URL(client.tokenUrl).origin,
    token_endpoint: client.tokenUrl,
  };
  const oauthClient: oauth.Client = { client_id: client.clientId };
  const clientAuth =
    client.authMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(client.clientSecret)
      : oauth.ClientSecretBasic(client.clientSecret);
  const requestOptions = {
    signal: AbortSignal.timeout(options.timeoutMs),
    [oauth.customFetch]: safeFetch,
    // Deprecated to make it stand out: plain http only for the hosts TOKEN_URL_HTTP_HOSTS names.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    [oauth.allowInsecureRequests]: options.allowHttp,
  };
  const scope = client.scopes.length > 0 ? { scope: client.scopes.join(' ') } : undefined;
  let response: Response;
  try {
    switch (grant.type) {
      case 'refresh_token':
        response = await oauth.refreshTokenGrantRequest(as, oauthClient, clientAuth, grant.refreshToken, {
          ...requestOptions,
          ...(scope ? { additionalParameters: scope } : {}),
        });
        break;
      case 'authorization_code':
        response = await oauth.authorizationCodeGrantRequest(
          as,
          oauthClient,
          clientAuth,
          // The state was checked by the caller (it found the session by it); `iss`, when the
          // provider sends one, is not: an auth-client does not name its issuer.
          oauth.validateAuthResponse(
            as,
            oauthClient,
            new URLSearchParams({ code: grant.code, state: grant.state }),
            grant.state,
          ),
          grant.redirectUri,
          // Deprecated to discourage it: only for the auth-clients whose provider refuses PKCE.
          // eslint-disable-next-line @typescript-eslint/no-deprecated
          grant.codeVerifier ?? oauth.nopkce,
          requestOptions,
        );
        break;
      case 'client_credentials':
        response = await oauth.clientCredentialsGrantRequest(
          as,
          oauthClient,
          clientAuth,
          scope ?? {},
          requestOptions,
        );
        break;
    }
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
    const result = await oauth.processGenericTokenEndpointResponse(
      as,
      oauthClient,
      await withoutIdToken(response),
    );
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

/**
 * The token response without its ID token. The service keeps OAuth tokens, never identities, and
 * validating an ID token needs the provider's issuer, which an auth-client does not name (and which
 * often differs from the token endpoint's origin: Google's tokens come from another host than its
 * issuer), so a provider's ID token would otherwise fail a good token response.
 */
async function withoutIdToken(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const text = await response.text();
  const init = { status: response.status, statusText: response.statusText, headers: response.headers };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return new Response(text, init); // unreadable: the processing says so
  }
  if (typeof body !== 'object' || body === null || !('id_token' in body)) return new Response(text, init);
  const { id_token: _idToken, ...rest } = body as Record<string, unknown>;
  return new Response(JSON.stringify(rest), init);
}

function networkOutcome(error: unknown): TokenOutcome {
  // Errors raised inside Node's own modules may come from another realm (as under jest), so
  // they are recognised by their fields rather than with instanceof.
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  // The only abort signal given is the timeout's.
  if (name === 'TimeoutError' || name === 'AbortError') {
    return { kind: 'transient', reason: 'timeout', description: 'the token endpoint did not answer in time' };
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  if (code === RESPONSE_TOO_LARGE) {
    return {
      kind: 'transient',
      reason: 'bad_response',
      description: 'the token endpoint answered over 256 KiB',
    };
  }
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
