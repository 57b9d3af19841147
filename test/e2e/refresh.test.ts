/**
 * End-to-end tests of POST /v2/workspaces/{w}/secrets/{s}/refresh over HTTP: the real `npm start`
 * program (DynamoDB Local + serverless-offline) refreshing against a real OAuth 2.0 server (oidc-provider
 * in a child process, with fault injection). Secrets are created and read back over HTTP; the
 * provider's view comes from its own stats and token endpoint.
 */
import { PERMISSIONS } from '../../lib/model';
import { createMember, createOutsider, createWorld, type TestUser, type World } from '../support/fixtures';
import {
  OAUTH_CLIENTS,
  registerOAuthClient,
  startOAuthServer,
  type OAuthServer,
} from '../support/oauthServer';
import { startLocalServer, type LocalServer } from '../support/server';
import { Api, basic, type ApiResponse, type HeaderMap, type Json } from './api';

type Reply = ApiResponse;

let server: LocalServer;
let oauth: OAuthServer;
let world: World;
/** world's tenant: an oauth2 auth-client registered at the OAuth server (client_secret_basic, rotating). */
let basicClientId: string;
/** The same for client_secret_post. */
let postClientId: string;

beforeAll(async () => {
  [server, oauth] = await Promise.all([startLocalServer({ own: true }), startOAuthServer()]);
  world = await createWorld(server.stack.services);
  basicClientId = await registerClient(world.tenantId, 'basic');
  postClientId = await registerClient(world.tenantId, 'post');
}, 120_000);

afterAll(async () => {
  await oauth?.stop();
  await server?.stop();
});

afterEach(async () => {
  await oauth.setFault('none');
});

// ---------------------------------------------------------------------------------------------
// Helpers

function registerClient(tenantId: string, kind: keyof typeof OAUTH_CLIENTS): Promise<string> {
  return registerOAuthClient(server.stack.services, tenantId, oauth, kind);
}

function call(method: string, path: string, auth?: HeaderMap, json?: unknown): Promise<Reply> {
  return new Api(server.baseUrl).request(method, path, { auth, json });
}

const secretPath = (workspaceId: string, secretId: string) =>
  `/v2/workspaces/${workspaceId}/secrets/${secretId}`;
const refreshPath = (workspaceId: string, secretId: string) => `${secretPath(workspaceId, secretId)}/refresh`;
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

function expectStatus(reply: Reply, status: number): void {
  if (reply.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text.slice(0, 600)}`);
  }
}

/** A JSON:API error answer, returning its first error object. */
function expectError(reply: Reply, status: number, code?: string): Json {
  expectStatus(reply, status);
  expect(reply.headers.get('content-type') ?? '').toMatch(/^application\/(vnd\.api\+)?json/);
  expect(Array.isArray(reply.body?.errors)).toBe(true);
  const [first] = reply.body.errors as Json[];
  expect(first.status).toBe(String(status));
  expect(typeof first.detail).toBe('string');
  if (code !== undefined) expect(first.code).toBe(code);
  return first;
}

const refresh = (secretId: string, user: TestUser = world.admin, workspaceId = world.workspaceId) =>
  call('POST', refreshPath(workspaceId, secretId), basic(user));

const getSecret = (secretId: string, user: TestUser = world.admin, workspaceId = world.workspaceId) =>
  call('GET', secretPath(workspaceId, secretId), basic(user));

/** Creates an oauth2 secret over HTTP, holding a refresh token minted at the OAuth server. */
async function createOAuthSecret(
  options: {
    authClientId?: string;
    oauthClient?: keyof typeof OAUTH_CLIENTS;
    refreshToken?: string;
    workspaceId?: string;
    user?: TestUser;
  } = {},
): Promise<{ id: string; refreshToken: string }> {
  const refreshToken =
    options.refreshToken ??
    (await oauth.mintRefreshToken(OAUTH_CLIENTS[options.oauthClient ?? 'basic'].clientId));
  const reply = await call(
    'POST',
    `/v2/workspaces/${options.workspaceId ?? world.workspaceId}/secrets`,
    basic(options.user ?? world.admin),
    {
      data: {
        type: 'auth-secret',
        attributes: {
          name: 'Provider tokens',
          state: 'ready',
          credentials: { access_token: 'initial-access', refresh_token: refreshToken, expires_in: '3600' },
        },
        relationships: {
          'auth-client': { data: { id: options.authClientId ?? basicClientId, type: 'auth-client' } },
        },
      },
    },
  );
  expectStatus(reply, 201);
  return { id: reply.body.data.id, refreshToken };
}

/** Runs the refresh_token grant directly at the provider, as basic-client. */
async function grantAtProvider(refreshToken: string) {
  const { clientId, secret } = OAUTH_CLIENTS.basic;
  const credentials = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
    'base64',
  );
  const response = await fetch(oauth.tokenUrl, {
    method: 'POST',
    headers: { Authorization: `Basic ${credentials}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

// ---------------------------------------------------------------------------------------------
// Success

/**
 * Issue 8's report: twenty refreshes of one secret sent at the same instant to a cold refresh
 * function, against a provider that answers at once. serverless-offline starts a worker per call in
 * flight (as Lambda starts an instance), so the calls reach the handler spread over seconds, some
 * after the first refresh has been stored. All must answer 200 with one new pair of tokens, from
 * one token request. This runs first in the file, while the refresh function is still cold.
 */
test('20 simultaneous refreshes of a cold function: one token request, all 200 with the same tokens', async () => {
  const { id } = await createOAuthSecret();
  await oauth.resetStats();

  const replies = await Promise.all(Array.from({ length: 20 }, () => refresh(id)));

  for (const reply of replies) expectStatus(reply, 200);
  const pairs = new Set(
    replies.map(({ body }) => {
      const { access_token, refresh_token } = body.data.attributes.credentials as Json;
      return `${access_token} ${refresh_token}`;
    }),
  );
  expect(pairs.size).toBe(1);
  expect([...pairs][0]).not.toMatch(/^initial-access /);
  expect(await oauth.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
}, 120_000);

test('200 with the secret as one resource object: new tokens, state ready, meta.refreshed_at set', async () => {
  const { id, refreshToken } = await createOAuthSecret();
  await oauth.resetStats();
  const startedAt = Date.now();

  const reply = await refresh(id);

  expectStatus(reply, 200);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(Array.isArray(reply.body.data)).toBe(false);
  const data = reply.body.data;
  expect(data).toEqual(
    expect.objectContaining({
      id,
      type: 'auth-secret',
      links: { self: secretPath(world.workspaceId, id) },
    }),
  );
  expect(data.relationships['auth-client'].data).toEqual({ id: basicClientId, type: 'auth-client' });
  expect(data.attributes.state).toBe('ready');
  expect(data.attributes.error).toBeUndefined();
  const credentials = data.attributes.credentials;
  expect(Object.keys(credentials).sort()).toEqual(['access_token', 'expires_in', 'refresh_token']);
  expect(credentials.access_token).toEqual(expect.any(String));
  expect(credentials.access_token).not.toBe('initial-access');
  expect(credentials.refresh_token).toEqual(expect.any(String));
  expect(credentials.refresh_token).not.toBe(refreshToken);
  expect(credentials.expires_in).toBe(3600);

  const refreshedAt = Date.parse(data.meta.refreshed_at);
  expect(refreshedAt).toBeGreaterThanOrEqual(startedAt - 1000);
  expect(refreshedAt).toBeLessThanOrEqual(Date.now() + 1000);
  expect(data.meta.last_refresh_error).toBeNull();
  const expiresAt = Date.parse(data.meta.expires_at);
  expect(expiresAt - refreshedAt).toBe(3600 * 1000);
  expect((await oauth.stats()).refreshGrants).toBe(1);

  // What a GET shows is what the refresh stored.
  const read = await getSecret(id);
  expectStatus(read, 200);
  expect(read.body.data.attributes.credentials).toEqual(credentials);
  expect(read.body.data.meta.refreshed_at).toBe(data.meta.refreshed_at);

  // The provider rotated the refresh token: the old one is now refused there.
  const replay = await grantAtProvider(refreshToken);
  expect(replay.status).toBe(400);
  expect(replay.body.error).toBe('invalid_grant');
});

test('a refresh sent right after one completed answers with its tokens and asks the provider nothing', async () => {
  const { id } = await createOAuthSecret();
  await oauth.resetStats();
  const first = await refresh(id);
  expectStatus(first, 200);

  const again = await refresh(id);

  expectStatus(again, 200);
  expect(again.body.data.attributes.credentials).toEqual(first.body.data.attributes.credentials);
  expect(again.body.data.meta.refreshed_at).toBe(first.body.data.meta.refreshed_at);
  expect(await oauth.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
});

test('past REFRESH_COALESCE_SECONDS (5 s), the next refresh spends the stored new refresh token', async () => {
  const { id } = await createOAuthSecret();
  const first = await refresh(id);
  expectStatus(first, 200);
  await new Promise((resolveWait) => setTimeout(resolveWait, 5_100));
  const second = await refresh(id);
  expectStatus(second, 200);
  const [a, b] = [first.body.data.attributes.credentials, second.body.data.attributes.credentials];
  expect(b.access_token).not.toBe(a.access_token);
  expect(b.refresh_token).not.toBe(a.refresh_token);
  expect(second.body.data.meta.refreshed_at > first.body.data.meta.refreshed_at).toBe(true);
}, 20_000);

test('a client_secret_post auth-client refreshes too', async () => {
  const { id } = await createOAuthSecret({ authClientId: postClientId, oauthClient: 'post' });
  const reply = await refresh(id);
  expectStatus(reply, 200);
  expect(reply.body.data.attributes.credentials.access_token).not.toBe('initial-access');
});

/**
 * Over HTTP, serverless-offline starts a worker per concurrent call (seconds each on 2 cores), so
 * this stays at a handful; the 20-caller case runs in-process in test/integration/refresh.test.ts.
 */
const CONCURRENT_REFRESHES = 8;

test('concurrent refreshes: all 200 with the same new access token, one refresh grant at the provider', async () => {
  // With the refresh function warm (as after any earlier refresh), as it is in a running service: the
  // 20 calls then reach the handler over several seconds while further workers start.
  expectStatus(await refresh((await createOAuthSecret()).id), 200);
  const { id } = await createOAuthSecret();
  await oauth.resetStats();
  // The provider takes a second to answer, so the refresh is in flight while every call arrives.
  await oauth.setFault('slow', 1, { delayMs: 1000 });

  const replies = await Promise.all(Array.from({ length: CONCURRENT_REFRESHES }, () => refresh(id)));

  for (const reply of replies) expectStatus(reply, 200);
  const accessTokens = new Set(replies.map((reply) => reply.body.data.attributes.credentials.access_token));
  expect(accessTokens.size).toBe(1);
  const [accessToken] = [...accessTokens];
  expect(accessToken).not.toBe('initial-access');
  const refreshTokens = new Set(replies.map((reply) => reply.body.data.attributes.credentials.refresh_token));
  expect(refreshTokens.size).toBe(1);
  expect(await oauth.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
  const read = await getSecret(id);
  expect(read.body.data.attributes.credentials.access_token).toBe(accessToken);
  expect(read.body.data.attributes.credentials.refresh_token).toBe([...refreshTokens][0]);
}, 40_000);

// ---------------------------------------------------------------------------------------------
// The provider refuses or fails

test('invalid_grant (a bogus refresh token): 422 with code invalid_grant; the secret is then in state error', async () => {
  const { id } = await createOAuthSecret({ refreshToken: 'bogus-refresh-token' });

  const reply = await refresh(id);

  const error = expectError(reply, 422, 'invalid_grant');
  expect(error.detail).toContain('invalid_grant');
  const read = await getSecret(id);
  expectStatus(read, 200);
  const data = read.body.data;
  expect(data.attributes.state).toBe('error');
  const lastError = data.meta.last_refresh_error;
  expect(lastError).toEqual(
    expect.objectContaining({ code: 'invalid_grant', transient: false, detail: expect.any(String) }),
  );
  expect(lastError.detail.length).toBeGreaterThan(0);
  expect(data.attributes.error).toEqual(expect.stringContaining('invalid_grant'));
  expect(data.attributes.error).toEqual(expect.stringContaining(lastError.detail));
  expect(error.detail).toContain(lastError.detail);
  // The credentials were not touched.
  expect(data.attributes.credentials).toEqual({
    access_token: 'initial-access',
    refresh_token: 'bogus-refresh-token',
    expires_in: 3600,
  });
  expect(data.meta.refreshed_at).toBeNull();
});

test('provider 503: 502, credentials unchanged, state ready, meta.last_refresh_error transient; the next try succeeds', async () => {
  const { id, refreshToken } = await createOAuthSecret();
  await oauth.resetStats();
  await oauth.setFault('503', 1);

  const reply = await refresh(id);

  expectError(reply, 502);
  expect((await oauth.stats()).tokenRequests).toBe(1);
  const read = await getSecret(id);
  expectStatus(read, 200);
  const data = read.body.data;
  expect(data.attributes.state).toBe('ready');
  expect(data.attributes.error).toBeUndefined();
  expect(data.attributes.credentials).toEqual({
    access_token: 'initial-access',
    refresh_token: refreshToken,
    expires_in: 3600,
  });
  expect(data.meta.refreshed_at).toBeNull();
  expect(data.meta.last_refresh_error).toEqual(expect.objectContaining({ transient: true }));

  // The refresh token was not spent: the next refresh (the fault is used up) succeeds and clears the error.
  const retry = await refresh(id);
  expectStatus(retry, 200);
  expect(retry.body.data.attributes.credentials.access_token).not.toBe('initial-access');
  expect(retry.body.data.meta.last_refresh_error).toBeNull();
});

test('provider 429: 503, credentials unchanged, state ready', async () => {
  const { id, refreshToken } = await createOAuthSecret();
  await oauth.setFault('429', 1);

  expectError(await refresh(id), 503);

  const data = (await getSecret(id)).body.data;
  expect(data.attributes.state).toBe('ready');
  expect(data.attributes.credentials.refresh_token).toBe(refreshToken);
  expect(data.meta.last_refresh_error).toEqual(expect.objectContaining({ transient: true }));
});

// ---------------------------------------------------------------------------------------------
// Refused before the provider is asked

test('a secret of an other auth-client: 422 refresh_not_supported, nothing sent to the provider', async () => {
  const created = await call('POST', `/v2/workspaces/${world.workspaceId}/secrets`, basic(world.admin), {
    data: {
      type: 'auth-secret',
      attributes: { name: 'API key', state: 'ready', credentials: { api_key: 'k-123' } },
      relationships: { 'auth-client': { data: { id: world.otherClientId, type: 'auth-client' } } },
    },
  });
  expectStatus(created, 201);
  await oauth.resetStats();

  expectError(await refresh(created.body.data.id), 422, 'refresh_not_supported');

  expect((await oauth.stats()).tokenRequests).toBe(0);
  const read = await getSecret(created.body.data.id);
  expect(read.body.data.attributes.state).toBe('ready');
  expect(read.body.data.attributes.credentials).toEqual({ api_key: 'k-123' });
});

test('without workspaces.auth_secret.refresh: 403 and nothing happens (members and non-members alike)', async () => {
  const { id, refreshToken } = await createOAuthSecret();
  const allButRefresh = PERMISSIONS.filter((name) => name !== 'workspaces.auth_secret.refresh');
  const services = server.stack.services;
  const [noRefresh, viewer, outsider] = await Promise.all([
    createMember(services, world.workspaceId, { permissions: allButRefresh }),
    createMember(services, world.workspaceId, { role: 'viewer' }),
    createOutsider(services),
  ]);
  await oauth.resetStats();

  for (const user of [noRefresh, viewer, outsider]) expectError(await refresh(id, user), 403);

  expect((await oauth.stats()).tokenRequests).toBe(0);
  const data = (await getSecret(id)).body.data;
  expect(data.attributes.credentials.refresh_token).toBe(refreshToken);
  expect(data.meta.refreshed_at).toBeNull();
  // The member lacking only refresh may still read the secret.
  expectStatus(await getSecret(id, noRefresh), 200);
});

test('an editor (who holds refresh) may refresh', async () => {
  const editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
  const { id } = await createOAuthSecret();
  expectStatus(await refresh(id, editor), 200);
});

test('another workspace’s secret id: 404, and that secret is not refreshed', async () => {
  const elsewhere = await createWorld(server.stack.services);
  const elsewhereClient = await registerClient(elsewhere.tenantId, 'basic');
  const foreign = await createOAuthSecret({
    authClientId: elsewhereClient,
    workspaceId: elsewhere.workspaceId,
    user: elsewhere.admin,
  });
  await oauth.resetStats();

  const reply = await refresh(foreign.id);

  expectError(reply, 404);
  expect(reply.text).not.toContain(elsewhere.workspaceId);
  // In the secret's own workspace the caller is not a member: 403, as for any workspace not theirs.
  expectError(await refresh(foreign.id, world.admin, elsewhere.workspaceId), 403);
  expect((await oauth.stats()).tokenRequests).toBe(0);
  const read = await getSecret(foreign.id, elsewhere.admin, elsewhere.workspaceId);
  expectStatus(read, 200);
  expect(read.body.data.attributes.credentials).toEqual(
    expect.objectContaining({ access_token: 'initial-access', refresh_token: foreign.refreshToken }),
  );
  expect(read.body.data.meta.refreshed_at).toBeNull();
});

test('an unknown or malformed secret id: 404', async () => {
  expectError(await refresh(UNKNOWN_ID), 404);
  expectError(await refresh('not-an-id'), 404);
});

test('missing or wrong credentials: 401 with WWW-Authenticate Basic', async () => {
  const { id } = await createOAuthSecret();
  await oauth.resetStats();
  const wrongKey = { ...world.admin, apiKey: `${world.admin.apiKey.slice(0, -4)}AAAA` };
  for (const auth of [undefined, basic(wrongKey)]) {
    const reply = await call('POST', refreshPath(world.workspaceId, id), auth);
    expectError(reply, 401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Basic/);
  }
  expect((await oauth.stats()).tokenRequests).toBe(0);
});

// The scheduled function (refreshDue) would be invoked on serverless-offline's Lambda port, which the
// harness (test/support/server.ts) does not expose; it is not tested here.
