import { createHash, randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import { requirePermission } from '../auth/authenticate';
import { NotFoundError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { AuthClient, ConnectSession, Membership } from '../model';
import type { Services } from '../services';
import { findAuthClient, findSecret } from '../secrets/useCases';
import type { ConnectSessionInput } from './input';
import { isAllowedReturnUrl, returnUrlProblem } from './returnUrls';
import { connectSessionResource, type ConnectSessionResource } from './view';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config' | 'connectSessions'>;

/** How long a user has to log in and consent at the provider. */
export const CONNECT_SESSION_SECONDS = 30 * 60;

/** The path of the callback every connect session's redirect_uri names. */
export const CALLBACK_PATH = '/v2/oauth/callback';

/** The state's random bytes: 256 bits, far beyond the 128 a guess would have to beat. */
const STATE_BYTES = 32;

/** The encryption binding of a session's PKCE verifier. */
export function codeVerifierBinding(session: Pick<ConnectSession, 'tenantId' | 'id'>) {
  return {
    context: { purpose: 'connect-session', tenant: session.tenantId },
    recordId: `connect-session/${session.id}`,
  };
}

/** The key a state is stored under: its SHA-256, so that the table never holds a usable state. */
export function stateHashOf(state: string): string {
  return createHash('sha256').update(state).digest('hex');
}

/**
 * POST …/connect-sessions: starts connecting an account (or reconnecting a secret in place). The
 * answer's `authorize_url` carries a fresh state and, unless the auth-client turns PKCE off, the
 * S256 challenge of a verifier that is sealed in the session and never leaves the service.
 */
export async function createConnectSession(
  deps: Deps,
  membership: Membership,
  input: ConnectSessionInput,
  callbackBaseUrl: string,
  now: Date = new Date(),
): Promise<ConnectSessionResource> {
  requirePermission(
    membership,
    input.secretId !== undefined ? 'workspaces.auth_secret.edit' : 'workspaces.auth_secret.create',
  );
  const reconnected =
    input.secretId !== undefined ? await secretToReconnect(deps, membership, input.secretId) : undefined;
  if (reconnected && input.name !== undefined) {
    throw new ValidationError('name is for new secrets; a reconnected secret keeps its own.', {
      source: { pointer: '/data/attributes/name' },
    });
  }
  if (reconnected && input.authClientId !== undefined && input.authClientId !== reconnected.authClientId) {
    throw new ValidationError('A secret is reconnected through its own auth-client.', {
      source: { pointer: '/data/relationships/auth-client/data/id' },
    });
  }
  const client = await findAuthClient(
    deps,
    membership,
    reconnected?.authClientId ?? input.authClientId ?? '',
  );
  requireConnectable(client);
  if (input.returnUrl !== undefined) requireAllowedReturnUrl(deps, client, input.returnUrl);

  const state = randomBytes(STATE_BYTES).toString('base64url');
  const id = newId(now.getTime());
  const redirectUri = `${callbackBaseUrl}${CALLBACK_PATH}`;
  const codeVerifier = client.pkce ? oauth.generateRandomCodeVerifier() : null;
  const session: ConnectSession = {
    id,
    stateHash: stateHashOf(state),
    tenantId: membership.tenantId,
    workspaceId: membership.workspaceId,
    userId: membership.userId,
    authClientId: client.id,
    secretId: reconnected?.id ?? null,
    name: input.name ?? null,
    returnUrl: input.returnUrl ?? null,
    redirectUri,
    sealedCodeVerifier: null,
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + CONNECT_SESSION_SECONDS * 1000).toISOString(),
  };
  if (codeVerifier !== null) {
    session.sealedCodeVerifier = await deps.envelope.seal(codeVerifier, codeVerifierBinding(session));
  }
  // Kept a day past its expiry for nothing but the table's own cleanup (TTL).
  await deps.connectSessions.create(session, new Date(Date.parse(session.expiresAt) + 86_400_000));
  const authorizeUrl = await authorizationRequest(client, { redirectUri, state, codeVerifier });
  return connectSessionResource(session, authorizeUrl);
}

async function secretToReconnect(deps: Deps, membership: Membership, secretId: string) {
  try {
    return await findSecret(deps, membership, secretId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    throw new ValidationError(`No auth-secret ${secretId} in this workspace.`, {
      source: { pointer: '/data/relationships/auth-secret/data/id' },
    });
  }
}

/** An auth-client a user can be sent to: oauth2, the authorization_code grant, an authorization URL. */
function requireConnectable(client: AuthClient): asserts client is AuthClient & { authorizationUrl: string } {
  const pointer = { source: { pointer: '/data/relationships/auth-client/data/id' } };
  if (client.type !== 'oauth2') {
    throw new ValidationError('Only oauth2 auth-clients can connect accounts.', pointer);
  }
  if (client.grantType !== 'authorization_code') {
    throw new ValidationError(
      'This auth-client uses the client_credentials grant: create its secret with POST …/secrets, without credentials.',
      pointer,
    );
  }
  if (client.authorizationUrl === null) {
    throw new ValidationError(
      'The auth-client has no authorization_url; set it to connect accounts.',
      pointer,
    );
  }
}

function requireAllowedReturnUrl(
  deps: Pick<Services, 'config'>,
  client: AuthClient,
  returnUrl: string,
): void {
  const source = { source: { pointer: '/data/attributes/return_url' } };
  const problem = returnUrlProblem(returnUrl, deps.config.tokenUrlHttpHosts);
  if (problem) throw new ValidationError(`return_url ${problem}.`, source);
  if (!isAllowedReturnUrl(returnUrl, client.allowedReturnUrls)) {
    throw new ValidationError("return_url is not among the auth-client's allowed_return_urls.", source);
  }
}

/** The provider's authorization URL for this request (RFC 6749 §4.1.1, RFC 7636 §4.3). */
async function authorizationRequest(
  client: AuthClient & { authorizationUrl: string },
  request: { redirectUri: string; state: string; codeVerifier: string | null },
): Promise<string> {
  const url = new URL(client.authorizationUrl);
  // The auth-client's extra parameters first: the request's own (reserved, see input) come after.
  for (const [name, value] of Object.entries(client.authorizeParams)) url.searchParams.set(name, value);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.clientId ?? '');
  url.searchParams.set('redirect_uri', request.redirectUri);
  if (client.scopes.length > 0) url.searchParams.set('scope', client.scopes.join(' '));
  url.searchParams.set('state', request.state);
  if (request.codeVerifier !== null) {
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(request.codeVerifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.href;
}
