/**
 * End-to-end tests of connecting accounts (README: "Connecting an account"): the real `npm start`
 * program, a real OAuth 2.0 server (oidc-provider in a child process) with real login and consent
 * pages, driven over HTTP by test/support/oauthBrowser.ts as a user's browser would. Auth-clients,
 * sessions and secrets go through the HTTP API; the provider's side is read from its own stats.
 */
import { grantTenantAdmin } from '../../lib/directory/admin';
import { createMember, createWorld, type TestUser, type World } from '../support/fixtures';
import { OAuthBrowser } from '../support/oauthBrowser';
import {
  connectClientAttributes,
  OAUTH_ACCOUNTS,
  OAUTH_CC_CLIENT,
  startOAuthServer,
  type OAuthClient,
  type OAuthServer,
} from '../support/oauthServer';
import { startLocalServer, type LocalServer } from '../support/server';
import { checkAgainstOpenApi } from '../support/openApiCheck';
import { Api, basic, expectStatus, type Json } from './api';

let server: LocalServer;
let oauth: OAuthServer;
let world: World;
/** Registered at the provider for this server's callback (client_secret_basic). */
let provider: OAuthClient;
/** world's tenant: an oauth2 auth-client of `provider`, with PKCE, allowing https://app.example.com. */
let connectClientId: string;

const APP = 'https://app.example.com';
const alice = OAUTH_ACCOUNTS.alice;

beforeAll(async () => {
  [server, oauth] = await Promise.all([startLocalServer(), startOAuthServer()]);
  world = await createWorld(server.stack.services);
  await grantTenantAdmin(server.stack.services, world.tenantId, world.admin.id);
  provider = await oauth.registerClient({
    redirectUris: [`${server.baseUrl}/v2/oauth/callback`],
    authMethod: 'client_secret_basic',
  });
  connectClientId = await createAuthClient({});
}, 120_000);

afterAll(async () => {
  await oauth?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

const api = () => new Api(server.baseUrl);
const admin = () => basic(world.admin);
const sessionsPath = () => `/v2/workspaces/${world.workspaceId}/connect-sessions`;
const secretPath = (secretId: string) => `/v2/workspaces/${world.workspaceId}/secrets/${secretId}`;

/** POST …/auth-clients of an oauth2 client at the test provider, as the tenant admin. */
function postAuthClient(attributes: Record<string, unknown>) {
  return api().post(`/v2/tenants/${world.tenantId}/auth-clients`, admin(), {
    data: {
      type: 'auth-client',
      attributes: { name: 'Example provider', auth_type: 'oauth2', token_url: oauth.tokenUrl, ...attributes },
    },
  });
}

/** Creates an auth-client of `provider` over HTTP; `attributes` override the connect settings. */
async function createAuthClient(attributes: Record<string, unknown>): Promise<string> {
  const reply = await postAuthClient({ ...connectClientAttributes(oauth, provider, APP), ...attributes });
  expectStatus(reply, 201);
  return reply.body.data.id as string;
}

/** A client_credentials auth-client of the provider's `cc-client` (`client_secret` to override). */
async function createClientCredentialsClient(clientSecret: string = OAUTH_CC_CLIENT.secret): Promise<string> {
  const reply = await postAuthClient({
    name: 'Machine to machine',
    grant_type: 'client_credentials',
    client_id: OAUTH_CC_CLIENT.clientId,
    client_secret: clientSecret,
    auth_method: OAUTH_CC_CLIENT.method,
    scopes: ['api:read'],
  });
  expectStatus(reply, 201);
  return reply.body.data.id as string;
}

/** POST …/secrets without credentials (what a client_credentials auth-client allows). */
function postSecretWithoutCredentials(authClientId: string, name = 'Service account') {
  return api().post(`/v2/workspaces/${world.workspaceId}/secrets`, admin(), {
    data: {
      type: 'auth-secret',
      attributes: { name },
      relationships: { 'auth-client': { data: { type: 'auth-client', id: authClientId } } },
    },
  });
}

function sessionDocument(options: {
  authClientId?: string;
  secretId?: string;
  name?: string;
  returnUrl?: string;
}) {
  return {
    data: {
      type: 'connect-session',
      attributes: {
        ...(options.name !== undefined ? { name: options.name } : {}),
        ...(options.returnUrl !== undefined ? { return_url: options.returnUrl } : {}),
      },
      relationships: {
        ...(options.authClientId !== undefined
          ? { 'auth-client': { data: { type: 'auth-client', id: options.authClientId } } }
          : {}),
        ...(options.secretId !== undefined
          ? { 'auth-secret': { data: { type: 'auth-secret', id: options.secretId } } }
          : {}),
      },
    },
  };
}

/** POST …/connect-sessions, expecting 201; returns the session resource. */
async function startSession(
  options: Parameters<typeof sessionDocument>[0] = {},
  user: TestUser = world.admin,
): Promise<Json> {
  const reply = await api().post(
    sessionsPath(),
    basic(user),
    sessionDocument({ authClientId: connectClientId, ...options }),
  );
  expectStatus(reply, 201);
  return reply.body.data;
}

/** The user's trip through the provider: back to the service's callback (not yet fetched). */
function consent(session: Json, decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  return new OAuthBrowser().authorize(session.attributes.authorize_url as string, { ...alice, decision });
}

/** The browser arriving at the callback: its answer, redirects not followed. */
async function arrive(callbackUrl: URL | string) {
  const response = await fetch(callbackUrl, { redirect: 'manual' });
  const text = await response.text();
  checkAgainstOpenApi('GET', callbackUrl, { status: response.status, headers: response.headers, text });
  const location = response.headers.get('location');
  return {
    status: response.status,
    headers: response.headers,
    text,
    location: location ? new URL(location) : null,
  };
}

async function secretTotal(): Promise<number> {
  const reply = await api().get(`/v2/workspaces/${world.workspaceId}/secrets?page[limit]=1`, admin());
  expectStatus(reply, 200);
  return reply.body.meta.total as number;
}

async function getSecret(secretId: string): Promise<Json> {
  const reply = await api().get(secretPath(secretId), admin());
  expectStatus(reply, 200);
  return reply.body.data;
}

/** The secret's event types, once `expected` is among them (events reach the list from the table's stream). */
async function eventTypesOnceThere(secretId: string, expected: string): Promise<string[]> {
  // Events reach the list through the stream pump: seconds, more on a busy machine.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await api().get(
      `/v2/workspaces/${world.workspaceId}/events?filter[auth_secret]=${secretId}&page[limit]=100`,
      admin(),
    );
    expectStatus(reply, 200);
    const types = (reply.body.data as Json[]).map((event) => event.attributes.event_type as string);
    if (types.includes(expected) || Date.now() > deadline) return types;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

// ---------------------------------------------------------------------------------------------

describe('connecting an account', () => {
  test('a session, the user’s login and consent, and the callback create a ready secret', async () => {
    // Prepare
    const before = await secretTotal();
    const grantsBefore = (await oauth.stats()).authorizationCodeGrants;

    // Act
    const session = await startSession({ name: 'Alice at Example', returnUrl: `${APP}/connected?tab=2` });
    const callbackUrl = await consent(session);
    const answer = await arrive(callbackUrl);

    // Assess: the authorization request
    const authorize = new URL(session.attributes.authorize_url);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(oauth.authorizationUrl);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      prompt: 'consent',
      response_type: 'code',
      client_id: provider.clientId,
      redirect_uri: `${server.baseUrl}/v2/oauth/callback`,
      scope: 'openid offline_access',
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(session.attributes.redirect_uri).toBe(`${server.baseUrl}/v2/oauth/callback`);
    const expiresIn = Date.parse(session.attributes.expires_at) - Date.parse(session.attributes.created_at);
    expect(expiresIn).toBe(30 * 60 * 1000);
    // Assess: the browser comes back to the service, which sends it on to the platform
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${server.baseUrl}/v2/oauth/callback`);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(`${answer.location?.origin}${answer.location?.pathname}`).toBe(`${APP}/connected`);
    expect(answer.location?.searchParams.get('tab')).toBe('2');
    expect(answer.location?.searchParams.get('connect_session_id')).toBe(session.id);
    const secretId = answer.location?.searchParams.get('auth_secret_id') ?? '';
    // Assess: the secret holds the provider's tokens, and they work
    const secret = await getSecret(secretId);
    expect(secret.attributes).toMatchObject({ name: 'Alice at Example', state: 'ready' });
    expect(secret.attributes.error ?? null).toBeNull();
    expect(secret.relationships.user.data.id).toBe(world.admin.id);
    expect(secret.attributes.credentials).toEqual({
      access_token: expect.any(String),
      refresh_token: expect.any(String),
      expires_in: expect.any(Number),
    });
    expect(await secretTotal()).toBe(before + 1);
    expect((await oauth.stats()).authorizationCodeGrants).toBe(grantsBefore + 1);
    const refreshed = await api().post(`${secretPath(secretId)}/refresh`, admin(), undefined);
    expectStatus(refreshed, 200);
    expect(refreshed.body.data.attributes.credentials.access_token).not.toBe(
      secret.attributes.credentials.access_token,
    );
    const versions = await api().get(`${secretPath(secretId)}/versions`, admin());
    expect((versions.body.data as Json[]).map((version) => version.attributes.source)).toEqual([
      'refresh',
      'connect',
    ]);
  });

  test('the state works once: a replayed callback changes nothing, and neither do 8 at once', async () => {
    // Prepare
    const session = await startSession({ returnUrl: APP });
    const callbackUrl = await consent(session);
    const before = await secretTotal();

    // Act
    const answers = await Promise.all(Array.from({ length: 8 }, () => arrive(callbackUrl)));
    const replayed = await arrive(callbackUrl);

    // Assess
    const connected = answers.filter((answer) => answer.location?.searchParams.has('auth_secret_id'));
    expect(connected).toHaveLength(1);
    for (const answer of [...answers.filter((answer) => !connected.includes(answer)), replayed]) {
      expect(answer.status).toBe(400);
      expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(answer.text).toContain('invalid_state');
    }
    expect(await secretTotal()).toBe(before + 1);
  });

  test('a tampered state is refused and does not use up the session', async () => {
    // Prepare
    const session = await startSession({ returnUrl: APP });
    const callbackUrl = await consent(session);
    const state = callbackUrl.searchParams.get('state') ?? '';
    const tampered = new URL(callbackUrl);
    tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
    const before = await secretTotal();

    // Act
    const refused = await arrive(tampered);
    const missing = await arrive(`${server.baseUrl}/v2/oauth/callback?code=abc`);
    const genuine = await arrive(callbackUrl);

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('invalid_state');
    expect(refused.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(missing.status).toBe(400);
    expect(genuine.location?.searchParams.has('auth_secret_id')).toBe(true);
    expect(await secretTotal()).toBe(before + 1);
  });

  test('a state sent twice names no session: refused, and neither session is used up', async () => {
    // Prepare: two sessions consented; a callback carrying both states
    const [first, second] = [await startSession({ returnUrl: APP }), await startSession({ returnUrl: APP })];
    const [firstUrl, secondUrl] = [await consent(first), await consent(second)];
    const doubled = new URL(firstUrl);
    doubled.searchParams.append('state', secondUrl.searchParams.get('state') ?? '');
    const before = await secretTotal();

    // Act
    const refused = await arrive(doubled);
    const [firstBack, secondBack] = [await arrive(firstUrl), await arrive(secondUrl)];

    // Assess
    expect(refused.status).toBe(400);
    expect(refused.text).toContain('invalid_state');
    expect(firstBack.location?.searchParams.has('auth_secret_id')).toBe(true);
    expect(secondBack.location?.searchParams.has('auth_secret_id')).toBe(true);
    expect(await secretTotal()).toBe(before + 2);
  });

  test('access_denied at the provider comes back to the platform and creates nothing', async () => {
    // Prepare
    const session = await startSession({ returnUrl: `${APP}/done` });
    const before = await secretTotal();

    // Act
    const callbackUrl = await consent(session, 'deny');
    const answer = await arrive(callbackUrl);

    // Assess
    expect(answer.status).toBe(303);
    expect(answer.location?.searchParams.get('error')).toBe('access_denied');
    expect(answer.location?.searchParams.get('error_description')).toEqual(expect.any(String));
    expect(answer.location?.searchParams.get('connect_session_id')).toBe(session.id);
    expect(answer.location?.searchParams.has('auth_secret_id')).toBe(false);
    expect(await secretTotal()).toBe(before);
  });

  test('without a return_url the callback answers a page saying what happened', async () => {
    // Prepare
    const session = await startSession({});

    // Act
    const answer = await arrive(await consent(session));

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(answer.text).toContain('Account connected');
    expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  test('PKCE: the code is bound to the challenge, so only the service’s verifier redeems it', async () => {
    // Prepare
    const session = await startSession({ returnUrl: APP });
    const callbackUrl = await consent(session);
    const code = callbackUrl.searchParams.get('code') ?? '';
    const redeem = (verifier?: string) =>
      fetch(oauth.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.secret)}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: `${server.baseUrl}/v2/oauth/callback`,
          ...(verifier !== undefined ? { code_verifier: verifier } : {}),
        }),
      });

    // Act: someone who intercepted the code redeems it without a verifier (a code bound to no
    // challenge would be accepted so: this client may skip PKCE), then with one of their own;
    // then the user's browser reaches the service with it
    const withoutVerifier = await redeem();
    const withOtherVerifier = await redeem('x'.repeat(43));
    const genuine = await arrive(callbackUrl);

    // Assess: both refused (oidc-provider does not use a code up on a failed PKCE check), and the
    // service's own verifier redeems it
    for (const stolen of [withoutVerifier, withOtherVerifier]) {
      expect(stolen.status).toBe(400);
      expect(((await stolen.json()) as Json).error).toBe('invalid_grant');
    }
    expect(genuine.location?.searchParams.has('auth_secret_id')).toBe(true);
  });

  test('with pkce off the authorization request carries no challenge, and connecting still works', async () => {
    // Prepare
    const withoutPkce = await createAuthClient({ pkce: false });

    // Act
    const session = await startSession({ authClientId: withoutPkce, returnUrl: APP });
    const answer = await arrive(await consent(session));

    // Assess
    const authorize = new URL(session.attributes.authorize_url);
    expect(authorize.searchParams.has('code_challenge')).toBe(false);
    expect(authorize.searchParams.has('code_challenge_method')).toBe(false);
    expect(answer.location?.searchParams.has('auth_secret_id')).toBe(true);
  });

  test('reconnecting a secret in error replaces its credentials in place and recovers it', async () => {
    // Prepare: a connected secret the provider has since refused
    const first = await arrive(await consent(await startSession({ returnUrl: APP })));
    const secretId = first.location?.searchParams.get('auth_secret_id') ?? '';
    const broken = await api().patch(secretPath(secretId), admin(), {
      data: { type: 'auth-secret', id: secretId, attributes: { state: 'error', error: 'invalid_grant' } },
    });
    expectStatus(broken, 200);
    const before = await getSecret(secretId);
    const total = await secretTotal();

    // Act
    const session = await startSession({ secretId, returnUrl: APP });
    const answer = await arrive(await consent(session));

    // Assess
    expect(session.relationships['auth-secret'].data.id).toBe(secretId);
    expect(answer.location?.searchParams.get('auth_secret_id')).toBe(secretId);
    const after = await getSecret(secretId);
    expect(after.attributes).toMatchObject({ state: 'ready', name: before.attributes.name });
    expect(after.attributes.error ?? null).toBeNull();
    expect(before.attributes).toMatchObject({ state: 'error', error: 'invalid_grant' });
    expect(after.attributes.credentials.access_token).not.toBe(before.attributes.credentials.access_token);
    expect(await secretTotal()).toBe(total);
    expect(await eventTypesOnceThere(secretId, 'auth_secret.recovered')).toContain('auth_secret.recovered');
  }, 90_000);
});

describe('connect sessions refuse what they cannot do', () => {
  test.each([
    ['another origin', 'https://evil.example/app'],
    ['a look-alike host', 'https://app.example.com.evil.example/'],
    ['plain http', 'http://app.example.com/'],
    ['a script', 'javascript:alert(1)'],
    ['credentials in the URL', 'https://user:pw@app.example.com/'],
  ])('a return_url of %s: 422 naming return_url (no open redirect)', async (_name, returnUrl) => {
    // Act
    const reply = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ authClientId: connectClientId, returnUrl }),
    );

    // Assess
    expectStatus(reply, 422);
    expect(reply.body.errors[0].source).toEqual({ pointer: '/data/attributes/return_url' });
  });

  test('an exact allowed URL allows only itself', async () => {
    // Prepare
    const exact = await createAuthClient({ allowed_return_urls: [`${APP}/connected`] });

    // Act
    const allowed = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ authClientId: exact, returnUrl: `${APP}/connected` }),
    );
    const other = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ authClientId: exact, returnUrl: `${APP}/elsewhere` }),
    );

    // Assess
    expectStatus(allowed, 201);
    expectStatus(other, 422);
  });

  test('auth-clients that cannot send a user anywhere: 422 naming the relationship', async () => {
    // Prepare
    const noAuthorizationUrl = await createAuthClient({ authorization_url: null });
    const clientCredentials = await createClientCredentialsClient();

    // Act
    const replies = await Promise.all(
      [noAuthorizationUrl, clientCredentials, world.otherClientId].map((authClientId) =>
        api().post(sessionsPath(), admin(), sessionDocument({ authClientId })),
      ),
    );

    // Assess
    for (const reply of replies) {
      expectStatus(reply, 422);
      expect(reply.body.errors[0].source).toEqual({ pointer: '/data/relationships/auth-client/data/id' });
    }
  });

  test('permissions: create for a new secret, edit to reconnect one', async () => {
    // Prepare
    const viewer = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
    const creator = await createMember(server.stack.services, world.workspaceId, {
      permissions: ['workspaces.auth_secret.create'],
    });
    const connected = await arrive(await consent(await startSession({ returnUrl: APP })));
    const secretId = connected.location?.searchParams.get('auth_secret_id') ?? '';

    // Act
    const byViewer = await api().post(
      sessionsPath(),
      basic(viewer),
      sessionDocument({ authClientId: connectClientId }),
    );
    const byCreator = await api().post(
      sessionsPath(),
      basic(creator),
      sessionDocument({ authClientId: connectClientId }),
    );
    const reconnectByCreator = await api().post(
      sessionsPath(),
      basic(creator),
      sessionDocument({ secretId }),
    );

    // Assess
    expectStatus(byViewer, 403);
    expectStatus(byCreator, 201);
    expectStatus(reconnectByCreator, 403);
  });

  test('bad documents: 422 or 400 naming the member', async () => {
    // Act
    const unknownAttribute = await api().post(sessionsPath(), admin(), {
      data: {
        type: 'connect-session',
        attributes: { state: 'mine' },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: connectClientId } } },
      },
    });
    const noClient = await api().post(sessionsPath(), admin(), { data: { type: 'connect-session' } });
    const wrongType = await api().post(sessionsPath(), admin(), { data: { type: 'auth-secret' } });

    // Assess
    expectStatus(unknownAttribute, 422);
    expect(unknownAttribute.body.errors[0].source).toEqual({ pointer: '/data/attributes/state' });
    expectStatus(noClient, 422);
    expect(noClient.body.errors[0].source).toEqual({ pointer: '/data/relationships/auth-client' });
    expectStatus(wrongType, 409);
  });
});

describe('the client credentials grant', () => {
  test('a secret created without credentials gets a token at once, and a refresh gets a new one', async () => {
    // Prepare
    const authClientId = await createClientCredentialsClient();
    const grantsBefore = (await oauth.stats()).clientCredentialsGrants;

    // Act
    const created = await postSecretWithoutCredentials(authClientId);
    expectStatus(created, 201);
    const refreshed = await api().post(`${secretPath(created.body.data.id)}/refresh`, admin(), undefined);

    // Assess
    expect(created.body.data.attributes.state).toBe('ready');
    expect(created.body.data.attributes.credentials).toEqual({
      access_token: expect.any(String),
      expires_in: expect.any(Number),
    });
    // Due for the scheduled refresh like any expiring token: before it expires.
    expect(created.body.data.meta.expires_at).toEqual(expect.any(String));
    expect(Date.parse(created.body.data.meta.next_refresh_at)).toBeLessThan(
      Date.parse(created.body.data.meta.expires_at),
    );
    expectStatus(refreshed, 200);
    expect(refreshed.body.data.attributes.credentials.access_token).not.toBe(
      created.body.data.attributes.credentials.access_token,
    );
    expect((await oauth.stats()).clientCredentialsGrants).toBe(grantsBefore + 2);
  });

  test('an auth-code client still needs credentials, and a refused client creates nothing', async () => {
    // Prepare
    const refusedClientId = await createClientCredentialsClient('not-the-secret');
    const before = await secretTotal();

    // Act
    const withoutCredentials = await postSecretWithoutCredentials(connectClientId);
    const refused = await postSecretWithoutCredentials(refusedClientId);

    // Assess
    expectStatus(withoutCredentials, 422);
    expect(withoutCredentials.body.errors[0].source).toEqual({ pointer: '/data/attributes/credentials' });
    expectStatus(refused, 422);
    expect(refused.body.errors[0].code).toBe('invalid_client');
    expect(await secretTotal()).toBe(before);
  });
});

describe('an auth-client’s connect settings', () => {
  const createWith = (attributes: Record<string, unknown>) =>
    postAuthClient({ name: 'Settings', client_id: 'c', client_secret: 's', ...attributes });

  test.each([
    [
      'an authorization_url over plain http',
      { authorization_url: 'http://provider.example/auth' },
      'authorization_url',
    ],
    [
      'a metadata authorization_url',
      { authorization_url: 'https://169.254.169.254/auth' },
      'authorization_url',
    ],
    ['a reserved authorize_params name', { authorize_params: { state: 'mine' } }, 'authorize_params'],
    [
      'a response_mode that the callback cannot read',
      { authorize_params: { response_mode: 'form_post' } },
      'authorize_params',
    ],
    ['an authorize_params value that is no string', { authorize_params: { prompt: 1 } }, 'authorize_params'],
    [
      'a credential in authorize_params (the authorize URL is the browser’s)',
      { authorize_params: { client_secret: 'in-the-url' } },
      'authorize_params',
    ],
    ['a token in authorize_params', { authorize_params: { Refresh_Token: 'r' } }, 'authorize_params'],
    [
      'a return URL that is not https',
      { allowed_return_urls: ['ftp://app.example.com/'] },
      'allowed_return_urls/0',
    ],
    [
      'connect settings on a client_credentials client',
      { grant_type: 'client_credentials', allowed_return_urls: [APP] },
      'allowed_return_urls',
    ],
    ['an unknown grant', { grant_type: 'password' }, 'grant_type'],
  ])('%s: 422 naming it', async (_name, attributes, attribute) => {
    // Act
    const reply = await createWith(attributes);

    // Assess
    expectStatus(reply, 422);
    expect(reply.body.errors[0].source).toEqual({ pointer: `/data/attributes/${attribute}` });
  });

  test('an authorize_params member named __proto__ is refused, not dropped', async () => {
    // Act
    const reply = await api().request('POST', `/v2/tenants/${world.tenantId}/auth-clients`, {
      auth: admin(),
      headers: { 'Content-Type': 'application/json' },
      body: `{"data":{"type":"auth-client","attributes":{"name":"n","auth_type":"oauth2","token_url":"${oauth.tokenUrl}","client_id":"c","client_secret":"s","authorize_params":{"__proto__":{"prompt":"x"}}}}}`,
    });

    // Assess
    expectStatus(reply, 422);
    expect(reply.body.errors[0].source).toEqual({ pointer: '/data/attributes/authorize_params' });
  });

  test('authorize_params members named as Object’s own properties are kept as sent: create, GET, PATCH', async () => {
    // Prepare: `constructor` made the marshaller throw (a 500) before the store wrote it as a Map.
    const params = { constructor: 'x', toString: 'y', hasOwnProperty: 'z', valueOf: 'v', prototype: 'p' };
    const created = await createWith({ authorize_params: params });
    expectStatus(created, 201);
    const id = created.body.data.id as string;
    const path = `/v2/tenants/${world.tenantId}/auth-clients/${id}`;

    // Act
    const read = await api().get(path, admin());
    const patched = await api().patch(path, admin(), {
      data: { type: 'auth-client', id, attributes: { authorize_params: { constructor: 'again' } } },
    });
    const reread = await api().get(path, admin());

    // Assess
    expect(created.body.data.attributes.authorize_params).toEqual(params);
    expectStatus(read, 200);
    expect(read.body.data.attributes.authorize_params).toEqual(params);
    expectStatus(patched, 200);
    expect(reread.body.data.attributes.authorize_params).toEqual({ constructor: 'again' });
  });

  test('allowed return URLs are kept as URLs are written, and grant_type cannot change', async () => {
    // Prepare
    const created = await createWith({
      allowed_return_urls: ['HTTPS://App.Example.com', `${APP}/a/../done`],
    });
    expectStatus(created, 201);
    const id = created.body.data.id as string;

    // Act
    const patched = await api().patch(`/v2/tenants/${world.tenantId}/auth-clients/${id}`, admin(), {
      data: { type: 'auth-client', id, attributes: { grant_type: 'client_credentials' } },
    });

    // Assess
    expect(created.body.data.attributes.allowed_return_urls).toEqual([`${APP}/`, `${APP}/done`]);
    expectStatus(patched, 422);
    expect(patched.body.errors[0].source).toEqual({ pointer: '/data/attributes/grant_type' });
  });
});

describe('sessions name only what the caller’s workspace and tenant hold', () => {
  test('a secret of another workspace, a name with a reconnect, another auth-client: 422 naming it', async () => {
    // Prepare: a secret in another workspace of another tenant, and one of ours
    const elsewhere = await createWorld(server.stack.services);
    const theirs = await api().post(
      `/v2/workspaces/${elsewhere.workspaceId}/secrets`,
      basic(elsewhere.admin),
      {
        data: {
          type: 'auth-secret',
          attributes: { name: 'n', state: 'ready', credentials: { api_key: 'k' } },
          relationships: { 'auth-client': { data: { type: 'auth-client', id: elsewhere.otherClientId } } },
        },
      },
    );
    expectStatus(theirs, 201);
    const ours = await arrive(await consent(await startSession({ returnUrl: APP })));
    const secretId = ours.location?.searchParams.get('auth_secret_id') ?? '';

    // Act
    const otherWorkspace = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ secretId: theirs.body.data.id }),
    );
    const otherTenant = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ authClientId: elsewhere.oauth2ClientId }),
    );
    const renaming = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ secretId, name: 'New name' }),
    );
    const otherClient = await api().post(
      sessionsPath(),
      admin(),
      sessionDocument({ secretId, authClientId: world.oauth2ClientId }),
    );

    // Assess
    expectStatus(otherWorkspace, 422);
    expect(otherWorkspace.body.errors[0].source).toEqual({
      pointer: '/data/relationships/auth-secret/data/id',
    });
    expectStatus(otherTenant, 422);
    expect(otherTenant.body.errors[0].source).toEqual({ pointer: '/data/relationships/auth-client/data/id' });
    expectStatus(renaming, 422);
    expect(renaming.body.errors[0].source).toEqual({ pointer: '/data/attributes/name' });
    expectStatus(otherClient, 422);
    expect(otherClient.body.errors[0].source).toEqual({ pointer: '/data/relationships/auth-client/data/id' });
  });
});

describe('the audit trail of connecting', () => {
  test('the callback is recorded in the workspace’s trail, as the session’s user, succeeded or failed', async () => {
    // Prepare
    const connected = await arrive(await consent(await startSession({ returnUrl: APP })));
    const denied = await arrive(await consent(await startSession({ returnUrl: APP }), 'deny'));
    const secretId = connected.location?.searchParams.get('auth_secret_id') ?? '';
    const deniedSession = denied.location?.searchParams.get('connect_session_id') ?? '';

    // Act
    const records = async (action: string) => {
      const reply = await api().get(
        `/v2/workspaces/${world.workspaceId}/audit-events?filter[action]=${action}&page[limit]=100`,
        admin(),
      );
      expectStatus(reply, 200);
      return reply.body.data as Json[];
    };
    const completed = (await records('connect_session.complete')).find(
      (record) => record.attributes.targets.auth_secret_id === secretId,
    );
    const failed = (await records('connect_session.failed')).find(
      (record) => record.attributes.targets.connect_session_id === deniedSession,
    );
    const created = await records('connect_session.create');

    // Assess
    expect(completed?.attributes).toMatchObject({
      actor: { kind: 'user', user_id: world.admin.id, api_key_id: null },
      targets: {
        auth_secret_id: secretId,
        connect_session_id: connected.location?.searchParams.get('connect_session_id'),
        auth_client_id: connectClientId,
      },
      status: 303,
    });
    expect(failed?.attributes).toMatchObject({ actor: { user_id: world.admin.id }, status: 303 });
    expect(failed?.attributes.targets.auth_secret_id).toBeUndefined();
    expect(created.length).toBeGreaterThan(0);
    // The state is never recorded.
    expect(JSON.stringify([completed, failed])).not.toMatch(/state/);
  });
});
