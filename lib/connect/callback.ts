import { ConcurrentModificationError, ConflictError, NotFoundError, ValidationError } from '../errors';
import type { AuthClient, ConnectSession, Membership } from '../model';
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

/**
 * Why a connect failed, as far as answering it goes: the request (its state, the user's refusal,
 * the code), the provider being unreachable or failing, or this service.
 */
export type ConnectFailureSource = 'request' | 'provider' | 'service';

export type ConnectFailure = {
  readonly kind: 'failed';
  /** The session the callback was for; undefined when the state named none. */
  readonly session: ConnectSession | undefined;
  /** Where to send the user, with the error; null: answer a page. */
  readonly returnTo: string | null;
  /** An OAuth-style error code: the provider's own, or one of this service's (README). */
  readonly error: string;
  readonly description: string;
  readonly source: ConnectFailureSource;
};

export type ConnectOutcome =
  | {
      readonly kind: 'connected';
      readonly session: ConnectSession;
      readonly secretId: string;
      /** Where to send the user, with the secret's id; null: answer a page. */
      readonly returnTo: string | null;
    }
  | ConnectFailure;

/** A callback that may go on to change something: its session taken, everything checked but the code. */
export interface OpenedConnect {
  readonly kind: 'opened';
  readonly session: ConnectSession;
  readonly returnTo: string | null;
  readonly code: string;
  readonly state: string;
  readonly client: AuthClient;
  readonly membership: Membership;
}

/** A state this service made: 32 random bytes, base64url. */
const STATE_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/**
 * GET /v2/oauth/callback, first half: takes (deletes) the session its state names, before anything
 * else, so that a state works once whatever happens next; then checks everything that can be
 * checked without spending the code. Nothing is changed yet: the caller records the change it is
 * about to make (the audit trail) and then calls finishConnect.
 */
export async function openConnect(
  deps: Deps,
  parameters: CallbackParameters,
  now: Date = new Date(),
): Promise<OpenedConnect | ConnectFailure> {
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
  const fail = (error: string, description: string, source: ConnectFailureSource = 'request') =>
    failed(session, error, description, returnTo, source);

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
  if (session.secretId !== null) {
    const secret = await deps.secrets.get(session.workspaceId, session.secretId);
    if (!secret) return fail('invalid_request', 'The secret to reconnect was deleted meanwhile.');
    // Its credentials are for the auth-client it has now: tokens of another would not refresh.
    if (secret.authClientId !== session.authClientId) {
      return fail('invalid_request', 'The secret to reconnect moved to another auth-client meanwhile.');
    }
  }
  return { kind: 'opened', session, returnTo, code: parameters.code, state, client, membership };
}

/**
 * GET /v2/oauth/callback, second half: exchanges the code at the token endpoint (the auth-client's
 * authentication, the session's PKCE verifier and redirect_uri), then creates the secret or gives
 * the reconnected one these credentials in place. Whatever fails creates nothing and changes nothing.
 */
export async function finishConnect(deps: Deps, opened: OpenedConnect): Promise<ConnectOutcome> {
  const { session, returnTo, client } = opened;
  const fail = (error: string, description: string, source: ConnectFailureSource = 'request') =>
    failed(session, error, description, returnTo, source);
  const codeVerifier =
    session.sealedCodeVerifier === null
      ? null
      : String(await deps.envelope.open(session.sealedCodeVerifier, codeVerifierBinding(session)));
  const outcome = await requestProviderTokens(deps, client, {
    type: 'authorization_code',
    code: opened.code,
    state: opened.state,
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
      'provider',
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
    const secretId = await storeConnected(deps, opened, credentials);
    return { kind: 'connected', session, secretId, returnTo };
  } catch (error) {
    if (error instanceof ConcurrentModificationError) return fail('temporarily_unavailable', error.message);
    // The auth-client was deleted (or is being deleted) while the secret was written.
    if (error instanceof ConflictError) return fail('invalid_client', error.message);
    if (error instanceof NotFoundError || error instanceof ValidationError) {
      return fail('invalid_request', error.message);
    }
    throw error;
  }
}

/** Creates the session's secret, or gives the secret it reconnects these credentials in place. */
async function storeConnected(
  deps: Deps,
  opened: OpenedConnect,
  credentials: Record<string, unknown>,
): Promise<string> {
  const { session, membership, client } = opened;
  // Stamped after the token request (which may take seconds), as the credentials' lifetime counts.
  const now = new Date();
  if (session.secretId === null) {
    const created = await createSecret(
      deps,
      membership,
      {
        attributes: { name: session.name ?? client.name, state: 'ready', error: null, credentials },
        authClientId: session.authClientId,
      },
      now,
      { source: 'connect' },
    );
    return created.id;
  }
  // The secret keeps its id, user and name; a secret in error comes back ready
  // (auth_secret.recovered). The user's fresh consent outranks a refresh in flight: its result,
  // from the grant being replaced, is discarded (its lease is cleared with the new credentials).
  const reconnected = await patchSecret(
    deps,
    membership,
    session.secretId,
    { attributes: { credentials, state: 'ready', error: null }, authClientId: session.authClientId },
    () => now,
    { source: 'connect', overRefresh: true },
  );
  return reconnected.id;
}

function failed(
  session: ConnectSession | undefined,
  error: string,
  description: string,
  returnTo: string | null = null,
  source: ConnectFailureSource = 'request',
): ConnectFailure {
  return { kind: 'failed', session, returnTo, error, description, source };
}

/** The answer to a callback that failed inside this service after its session was taken. */
export function serviceFailure(opened: OpenedConnect): ConnectFailure {
  return failed(
    opened.session,
    'server_error',
    'The service could not finish connecting the account. Start connecting again.',
    opened.returnTo,
    'service',
  );
}

/** A provider's error code as RFC 6749 §4.1.2.1 allows it to be written, bounded. */
function providerErrorCode(value: string): string {
  const code = value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '').slice(0, 100);
  return code || 'server_error';
}

function bounded(text: string, max = 500): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
