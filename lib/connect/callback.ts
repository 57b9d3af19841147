import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { ConnectSession, Membership } from '../model';
import { requestProviderTokens, tokenCredentials, tokenLifetime } from '../refresh/providerTokens';
import { createSecret, patchSecret } from '../secrets/useCases';
import type { Services } from '../services';
import { isAllowedReturnUrl } from './returnUrls';
import { codeVerifierBinding, stateHashOf } from './sessions';

type Deps = Pick<
  Services,
  'authClients' | 'secrets' | 'envelope' | 'config' | 'connectSessions' | 'directory'
>;

/** What the provider sent the user's browser back with (RFC 6749 §4.1.2). */
export interface CallbackParameters {
  readonly code?: string;
  readonly state?: string;
  readonly error?: string;
  readonly errorDescription?: string;
}

export type ConnectOutcome =
  | {
      readonly kind: 'connected';
      readonly session: ConnectSession;
      readonly secretId: string;
      /** Where to send the user, with the secret's id; null: answer a page. */
      readonly returnTo: string | null;
    }
  | {
      readonly kind: 'failed';
      /** The session the callback was for; undefined when the state named none. */
      readonly session: ConnectSession | undefined;
      /** Where to send the user, with the error; null: answer a page. */
      readonly returnTo: string | null;
      /** An OAuth-style error code: the provider's own, or one of this service's (README). */
      readonly error: string;
      readonly description: string;
      /** Whether the provider could not be reached or answered badly (worth trying again later). */
      readonly upstream: boolean;
    };

/** A state this service made: 32 random bytes, base64url. */
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * GET /v2/oauth/callback: finishes a connect session. The session is taken (deleted) before
 * anything else, so its state works once, whatever happens next; then the code is exchanged with
 * the session's redirect_uri and PKCE verifier, and the secret created or reconnected in place.
 * Whatever fails creates nothing and changes nothing.
 */
export async function completeConnect(
  deps: Deps,
  parameters: CallbackParameters,
  now: Date = new Date(),
): Promise<ConnectOutcome> {
  const { state } = parameters;
  if (state === undefined || !STATE_FORMAT.test(state)) {
    return failed(undefined, 'invalid_state', 'The callback carries no state this service made.');
  }
  const session = await deps.connectSessions.take(stateHashOf(state));
  if (!session) {
    return failed(
      undefined,
      'invalid_state',
      'This connect link is unknown, was already used, or has expired. Start connecting again.',
    );
  }
  const client = await deps.authClients.get(session.tenantId, session.authClientId);
  // The allow-list as it is now: an admin who took a URL off it meant it.
  const returnTo =
    session.returnUrl !== null && client && isAllowedReturnUrl(session.returnUrl, client.allowedReturnUrls)
      ? session.returnUrl
      : null;
  const fail = (error: string, description: string, upstream = false) =>
    failed(session, error, description, returnTo, upstream);

  if (Date.parse(session.expiresAt) <= now.getTime()) {
    return fail(
      'session_expired',
      'The connect session expired before the provider answered. Start connecting again.',
    );
  }
  if (parameters.error !== undefined) {
    return fail(
      providerErrorCode(parameters.error),
      bounded(parameters.errorDescription ?? 'The provider did not authorize the request.'),
    );
  }
  if (!parameters.code) return fail('invalid_request', 'The provider sent no authorization code.');
  const membership = await deps.directory.getMembership(session.workspaceId, session.userId);
  const permission =
    session.secretId !== null ? 'workspaces.auth_secret.edit' : 'workspaces.auth_secret.create';
  if (!membership?.permissions.includes(permission)) {
    return fail('access_denied', `The user who started this connect session no longer holds ${permission}.`);
  }
  if (!client || client.type !== 'oauth2' || client.grantType !== 'authorization_code') {
    return fail(
      'invalid_client',
      'The auth-client was deleted or changed while the user was at the provider.',
    );
  }

  const codeVerifier =
    session.sealedCodeVerifier === null
      ? null
      : String(await deps.envelope.open(session.sealedCodeVerifier, codeVerifierBinding(session)));
  const outcome = await requestProviderTokens(deps, client, {
    type: 'authorization_code',
    code: parameters.code,
    state,
    redirectUri: session.redirectUri,
    codeVerifier,
  });
  if (outcome.kind === 'permanent') {
    return fail(outcome.error, outcome.description || 'The token endpoint refused the authorization code.');
  }
  if (outcome.kind === 'transient') {
    return fail(
      'temporarily_unavailable',
      `The token request did not complete: ${outcome.description}.`,
      true,
    );
  }
  if (outcome.refreshToken === undefined) {
    return fail(
      'no_refresh_token',
      'The provider issued no refresh token, so the service could not keep the token fresh. Ask for offline access (e.g. the offline_access scope, or authorize_params access_type=offline and prompt=consent).',
    );
  }
  const credentials = tokenCredentials({
    ...outcome,
    expiresIn: tokenLifetime(deps, client, outcome.expiresIn),
  });
  try {
    const secretId = await storeConnected(deps, session, membership, credentials, now);
    return { kind: 'connected', session, secretId, returnTo };
  } catch (error) {
    if (error instanceof ConflictError) return fail('temporarily_unavailable', error.message);
    if (error instanceof NotFoundError || error instanceof ValidationError) {
      return fail('invalid_request', error.message);
    }
    throw error;
  }
}

/** Creates the session's secret, or gives the secret it reconnects these credentials in place. */
async function storeConnected(
  deps: Deps,
  session: ConnectSession,
  membership: Membership,
  credentials: Record<string, unknown>,
  now: Date,
): Promise<string> {
  if (session.secretId === null) {
    const client = await deps.authClients.get(session.tenantId, session.authClientId);
    const created = await createSecret(
      deps,
      membership,
      {
        attributes: {
          name: session.name ?? client?.name ?? 'Connected account',
          state: 'ready',
          error: null,
          credentials,
        },
        authClientId: session.authClientId,
      },
      now,
      { source: 'connect' },
    );
    return created.id;
  }
  // The secret keeps its id, user and name; a secret in error comes back ready (auth_secret.recovered).
  const reconnected = await patchSecret(
    deps,
    membership,
    session.secretId,
    { attributes: { credentials, state: 'ready', error: null }, authClientId: session.authClientId },
    () => now,
    { source: 'connect' },
  );
  return reconnected.id;
}

function failed(
  session: ConnectSession | undefined,
  error: string,
  description: string,
  returnTo: string | null = null,
  upstream = false,
): ConnectOutcome {
  return { kind: 'failed', session, returnTo, error, description, upstream };
}

/** A provider's error code as RFC 6749 §4.1.2.1 allows it to be written, bounded. */
function providerErrorCode(value: string): string {
  const code = value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 100);
  return code || 'server_error';
}

function bounded(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
