/**
 * Connecting accounts where the end-to-end suite cannot reach: a session past its 30 minutes (the
 * clock moved), a PKCE verifier that is not the one the challenge was made from, a provider that
 * issues no refresh token, and the scheduled renewal of a client credentials token. The use cases
 * run against DynamoDB Local and a real OAuth server (oidc-provider) with real login and consent.
 */
import { createAuthClient } from '../../lib/authClients/useCases';
import { finishConnect, openConnect, type CallbackParameters } from '../../lib/connect/callback';
import { codeVerifierBinding, createConnectSession, stateHashOf } from '../../lib/connect/sessions';
import type { ConnectSessionInput } from '../../lib/connect/input';
import { readConfig } from '../../lib/config';
import type { Membership } from '../../lib/model';
import { refreshDueSecrets } from '../../lib/refresh/schedule';
import { refreshSecretNow } from '../../lib/refresh/useCases';
import { createSecret, getSecret, patchSecret } from '../../lib/secrets/useCases';
import { createServices, type Services } from '../../lib/services';
import { createMember, createWorld, membershipOf, type World } from '../support/fixtures';
import { removeMember } from '../../lib/directory/admin';
import { startTestStack, type TestStack } from '../support/localStack';
import { until } from '../support/until';
import { OAuthBrowser } from '../support/oauthBrowser';
import {
  OAUTH_ACCOUNTS,
  OAUTH_CC_CLIENT,
  startOAuthServer,
  type OAuthClient,
  type OAuthServer,
} from '../support/oauthServer';

/** Nothing listens here: the provider's redirect is read, never followed. */
const SERVICE_BASE_URL = 'http://127.0.0.1:9';
const CALLBACK = `${SERVICE_BASE_URL}/v2/oauth/callback`;
/** Short-lived access tokens: a client credentials token is due for renewal at once. */
const ACCESS_TOKEN_TTL = 120;

let stack: TestStack;
let oauth: OAuthServer;
let services: Services;
let world: World;
let membership: Membership;
let provider: OAuthClient;

beforeAll(async () => {
  [stack, oauth] = await Promise.all([
    startTestStack(),
    startOAuthServer({ accessTokenTtl: ACCESS_TOKEN_TTL }),
  ]);
  services = createServices(readConfig(stack.env), stack.dynamoDb);
  world = await createWorld(services);
  membership = await membershipOf(services, world.workspaceId, world.admin.id);
  provider = await oauth.registerClient({ redirectUris: [CALLBACK], authMethod: 'client_secret_basic' });
}, 90_000);

afterAll(async () => {
  await oauth?.stop();
  await stack?.stop();
});

async function connectClient(scopes = ['openid', 'offline_access']): Promise<string> {
  const client = await createAuthClient(services, world.tenantId, {
    name: 'Example provider',
    type: 'oauth2',
    tokenUrl: oauth.tokenUrl,
    clientId: provider.clientId,
    clientSecret: provider.secret,
    authMethod: provider.method,
    scopes,
    authorizationUrl: oauth.authorizationUrl,
    authorizeParams: { prompt: 'consent' },
    allowedReturnUrls: ['https://app.example.com'],
  });
  return client.id;
}

/** A session, and the user's way through the provider's login and consent back to the callback. */
async function consentedSession(
  target: string | ConnectSessionInput,
  now = new Date(),
  sessionMembership: Membership = membership,
) {
  const input =
    typeof target === 'string' ? { authClientId: target, returnUrl: 'https://app.example.com/done' } : target;
  const session = await createConnectSession(services, sessionMembership, input, SERVICE_BASE_URL, now);
  const callback = await new OAuthBrowser().authorize(session.attributes.authorize_url, OAUTH_ACCOUNTS.bob);
  return { session, parameters: callbackParameters(callback) };
}

const callbackParameters = (callback: URL): CallbackParameters => ({
  code: callback.searchParams.get('code') ?? undefined,
  state: callback.searchParams.get('state') ?? undefined,
});

/** The callback's two halves, as GET /v2/oauth/callback runs them (less the audit record between). */
async function completeConnect(parameters: CallbackParameters) {
  const opened = await openConnect(services, parameters);
  return opened.kind === 'opened' ? finishConnect(services, opened) : opened;
}

async function secretTotal(): Promise<number> {
  return (await services.secrets.list(world.workspaceId, {}, { offset: 0, limit: 1 })).total;
}

test('a session used after its 30 minutes creates nothing and cannot be used again', async () => {
  // Prepare: a session started 31 minutes ago (its user consented just now)
  const authClientId = await connectClient();
  const { parameters } = await consentedSession(authClientId, new Date(Date.now() - 31 * 60_000));
  const before = await secretTotal();
  const grantsBefore = (await oauth.stats()).authorizationCodeGrants;

  // Act
  const late = await completeConnect(parameters);
  const again = await completeConnect(parameters);

  // Assess
  expect(late).toMatchObject({
    kind: 'failed',
    error: 'session_expired',
    returnTo: 'https://app.example.com/done',
  });
  expect(again).toMatchObject({ kind: 'failed', error: 'invalid_state', session: undefined });
  expect(await secretTotal()).toBe(before);
  expect((await oauth.stats()).authorizationCodeGrants).toBe(grantsBefore);
});

test('a verifier that does not match the challenge is refused by the provider, and nothing is created', async () => {
  // Prepare: the stored session's verifier swapped for another one, sealed as the real one is
  const authClientId = await connectClient();
  const { parameters } = await consentedSession(authClientId);
  const stored = await services.connectSessions.take(stateHashOf(parameters.state ?? ''));
  if (!stored) throw new Error('session not stored');
  const otherVerifier = 'another-verifier-another-verifier-another-verifier';
  await services.connectSessions.create(
    {
      ...stored,
      sealedCodeVerifier: await services.envelope.seal(otherVerifier, codeVerifierBinding(stored)),
    },
    new Date(Date.now() + 3_600_000),
  );
  const before = await secretTotal();

  // Act
  const outcome = await completeConnect(parameters);

  // Assess
  expect(outcome).toMatchObject({ kind: 'failed', error: 'invalid_grant' });
  expect(await secretTotal()).toBe(before);
});

test('a provider that issues no refresh token: the connect fails, saying what to ask for', async () => {
  // Prepare: without offline_access, oidc-provider issues no refresh token
  const authClientId = await connectClient(['openid']);
  const { parameters } = await consentedSession(authClientId);
  const before = await secretTotal();

  // Act
  const outcome = await completeConnect(parameters);

  // Assess
  expect(outcome).toMatchObject({ kind: 'failed', error: 'no_refresh_token' });
  expect(outcome.kind === 'failed' && outcome.description).toMatch(/offline/);
  expect(await secretTotal()).toBe(before);
});

test('the scheduled refresh renews a client credentials token before it expires', async () => {
  // Prepare: a token that lives 2 minutes, inside the 10-minute refresh window from the start
  const client = await createAuthClient(services, world.tenantId, {
    name: 'Machine to machine',
    type: 'oauth2',
    grantType: 'client_credentials',
    tokenUrl: oauth.tokenUrl,
    clientId: OAUTH_CC_CLIENT.clientId,
    clientSecret: OAUTH_CC_CLIENT.secret,
    authMethod: OAUTH_CC_CLIENT.method,
  });
  const created = await createSecret(services, membership, {
    attributes: { name: 'Service account', state: undefined, error: null, credentials: undefined },
    authClientId: client.id,
  });
  const grantsBefore = (await oauth.stats()).clientCredentialsGrants;

  // Act
  const summary = await refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 });

  // Assess
  expect(summary).toMatchObject({ refreshed: 1, failed: 0 });
  expect((await oauth.stats()).clientCredentialsGrants).toBe(grantsBefore + 1);
  const renewed = await getSecret(services, membership, created.id);
  expect(renewed.attributes.credentials?.access_token).not.toBe(created.attributes.credentials?.access_token);
  expect(renewed.attributes.credentials?.expires_in).toBe(ACCESS_TOKEN_TTL);
  expect(renewed.attributes.state).toBe('ready');
});

describe('what changed while the user was at the provider', () => {
  /** A connected secret, and a reconnect session for it that its user has consented to. */
  async function consentedReconnect() {
    const first = await completeConnect((await consentedSession(await connectClient())).parameters);
    if (first.kind !== 'connected') throw new Error(`connect failed: ${JSON.stringify(first)}`);
    const { parameters } = await consentedSession({ secretId: first.secretId });
    return { secretId: first.secretId, parameters };
  }

  async function memberWith(permissions: Parameters<typeof createMember>[2]) {
    const user = await createMember(services, world.workspaceId, permissions);
    return { user, membership: await membershipOf(services, world.workspaceId, user.id) };
  }

  test('the session’s user lost their membership: access_denied, nothing created, no code spent', async () => {
    // Prepare
    const authClientId = await connectClient();
    const { user, membership: theirs } = await memberWith({ role: 'editor' });
    const { parameters } = await consentedSession({ authClientId }, new Date(), theirs);
    await removeMember(services, world.workspaceId, user.id);
    const before = await secretTotal();
    const grantsBefore = (await oauth.stats()).authorizationCodeGrants;

    // Act
    const outcome = await completeConnect(parameters);

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', error: 'access_denied' });
    expect(await secretTotal()).toBe(before);
    expect((await oauth.stats()).authorizationCodeGrants).toBe(grantsBefore);
  });

  test('the secret to reconnect moved to another auth-client: refused, the secret unchanged', async () => {
    // Prepare: a connected secret, a reconnect session for it, then a PATCH onto another client
    const { secretId, parameters } = await consentedReconnect();
    const otherClientId = await connectClient();
    const moved = await patchSecret(services, membership, secretId, {
      attributes: { credentials: { access_token: 'a', refresh_token: 'r', expires_in: 60 } },
      authClientId: otherClientId,
    });

    // Act
    const outcome = await completeConnect(parameters);

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', error: 'invalid_request' });
    const after = await getSecret(services, membership, secretId);
    expect(after.relationships['auth-client'].data.id).toBe(otherClientId);
    expect(after.meta.revision).toBe(moved.meta.revision);
  });

  test('a refresh overtaken by a reconnect answers 200 with the reconnected credentials, not a failure', async () => {
    // Prepare: a refresh on demand whose token request the provider holds for two seconds. The
    // provider has seen that request (and given it the fault) before the reconnect's code exchange.
    const { secretId, parameters } = await consentedReconnect();
    const refreshGrantsBefore = (await oauth.stats()).refreshGrants;
    await oauth.setFault('slow', 1, { delayMs: 2000 });
    const refreshing = refreshSecretNow(services, membership, secretId);
    const provider = await until(
      () => oauth.stats(),
      (stats) => stats.refreshGrants > refreshGrantsBefore,
    );
    expect(provider.refreshGrants).toBeGreaterThan(refreshGrantsBefore);

    // Act: the user's consent comes back while the refresh waits for the provider
    const outcome = await completeConnect(parameters);
    const answered = await refreshing;

    // Assess: the refresh's own tokens were discarded; the secret holds the reconnect's, and so
    // does the refresh's answer (they are newer than any the refresh could have stored).
    expect(outcome).toMatchObject({ kind: 'connected', secretId });
    const stored = await getSecret(services, membership, secretId);
    expect(answered.attributes.credentials).toEqual(stored.attributes.credentials);
    expect(stored.attributes.state).toBe('ready');
  });

  test('a refresh in flight does not cost the user their consent: the reconnect wins, the refresh is discarded', async () => {
    // Prepare: a connected secret whose refresh lease is held (a refresh talking to the provider)
    const { secretId, parameters } = await consentedReconnect();
    const leased = await services.secrets.acquireLease(
      world.workspaceId,
      secretId,
      'a-refresh',
      Date.now(),
      60_000,
    );
    expect(leased).toBeDefined();

    // Act
    const outcome = await completeConnect(parameters);
    const refreshSaved = await services.secrets.saveUnderLease(
      world.workspaceId,
      secretId,
      'a-refresh',
      (current) => ({ ...current, name: 'written by the refresh' }),
      { source: 'refresh', actorUserId: null },
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'connected', secretId: secretId });
    expect(refreshSaved).toBeUndefined();
    const after = await services.secrets.get(world.workspaceId, secretId);
    expect(after?.leaseOwner).toBeUndefined();
    expect(after?.name).not.toBe('written by the refresh');
  });
});
