import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { patchAuthClient } from '../../lib/authClients/useCases';
import { readConfig } from '../../lib/config';
import { authClientResource } from '../../lib/directory/views';
import { ConflictError, UnprocessableError, UpstreamError, ValidationError } from '../../lib/errors';
import type { Membership } from '../../lib/model';
import { refreshDueSecrets } from '../../lib/refresh/schedule';
import { refreshSecretNow } from '../../lib/refresh/useCases';
import { openCredentials } from '../../lib/secrets/view';
import { createAuthClient } from '../../lib/directory/admin';
import { createSecret, getSecret, patchSecret } from '../../lib/secrets/useCases';
import { createServices, type Services } from '../../lib/services';
import { createWorld, membershipOf, type World } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';
import { until } from '../support/until';
import {
  OAUTH_CLIENTS,
  registerOAuthClient,
  startOAuthServer,
  type OAuthServer,
} from '../support/oauthServer';

let stack: TestStack;
let oauth: OAuthServer;
let services: Services;
/** The same services with REFRESH_COALESCE_SECONDS=0, for tests that refresh one secret twice in a row. */
let uncoalesced: Services;
let world: World;
let membership: Membership;
const clients: Record<keyof typeof OAUTH_CLIENTS, string> = { basic: '', post: '', norotate: '' };

beforeAll(async () => {
  [stack, oauth] = await Promise.all([startTestStack(), startOAuthServer()]);
  // Short timeouts so the "provider hangs" case stays quick.
  services = createServices(readConfig({ ...stack.env, REFRESH_TIMEOUT_MS: '1500' }), stack.dynamoDb);
  uncoalesced = createServices(
    readConfig({ ...stack.env, REFRESH_TIMEOUT_MS: '1500', REFRESH_COALESCE_SECONDS: '0' }),
    stack.dynamoDb,
  );
  world = await createWorld(services);
  membership = await membershipOf(services, world.workspaceId, world.admin.id);
  for (const name of Object.keys(OAUTH_CLIENTS) as Array<keyof typeof OAUTH_CLIENTS>) {
    clients[name] = await registerOAuthClient(services, world.tenantId, oauth, name, {
      defaultExpiresIn: 1234,
    });
  }
}, 90_000);

afterAll(async () => {
  await oauth?.stop();
  await stack?.stop();
});

afterEach(async () => {
  await oauth.setFault('none');
});

async function oauthSecret(client: keyof typeof OAUTH_CLIENTS, refreshToken?: string, expiresIn = 3600) {
  const token = refreshToken ?? (await oauth.mintRefreshToken(OAUTH_CLIENTS[client].clientId));
  return createSecret(services, membership, {
    attributes: {
      name: `tokens via ${client}`,
      state: 'ready',
      error: null,
      credentials: { access_token: 'initial-access', refresh_token: token, expires_in: expiresIn },
    },
    authClientId: clients[client],
  });
}

async function storedCredentials(secretId: string) {
  const secret = await services.secrets.get(world.workspaceId, secretId);
  if (!secret) throw new Error('secret vanished');
  return { secret, credentials: await openCredentials(services.envelope, secret) };
}

async function refreshGrantDirectly(refreshToken: string) {
  const { clientId, secret } = OAUTH_CLIENTS.basic;
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
    'base64',
  );
  return fetch(oauth.tokenUrl, {
    method: 'POST',
    headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  });
}

test('a refresh with client_secret_basic stores the new tokens and the provider then rejects the old refresh token', async () => {
  const created = await oauthSecret('basic');
  const before = await storedCredentials(created.id);

  const refreshed = await refreshSecretNow(services, membership, created.id);

  const credentials = refreshed.attributes.credentials as Record<string, unknown>;
  expect(credentials.access_token).not.toBe('initial-access');
  expect(credentials.refresh_token).not.toBe(before.credentials.refresh_token);
  expect(credentials.expires_in).toBe(3600);
  expect(refreshed.attributes.state).toBe('ready');
  expect(refreshed.meta.refreshed_at).not.toBeNull();
  expect(refreshed.meta.last_refresh_error).toBeNull();
  const after = await storedCredentials(created.id);
  expect(after.credentials).toEqual(credentials);
  const replay = await refreshGrantDirectly(String(before.credentials.refresh_token));
  expect(replay.status).toBe(400);
  expect(((await replay.json()) as { error: string }).error).toBe('invalid_grant');
});

test('an ID token whose issuer is not the token endpoint’s origin does not fail the refresh (as Google’s)', async () => {
  // Prepare: the token endpoint reached as localhost, while the provider's ID tokens name
  // 127.0.0.1 as their issuer; the grant has the openid scope, so refresh answers carry one.
  const viaLocalhost = await registerOAuthClient(
    services,
    world.tenantId,
    { tokenUrl: oauth.tokenUrl.replace('127.0.0.1', 'localhost') },
    'basic',
  );
  const token = await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId, 'user-1', {
    scope: 'openid offline_access',
  });
  const created = await createSecret(services, membership, {
    attributes: {
      name: 'Google-like',
      state: 'ready',
      error: null,
      credentials: { access_token: 'initial-access', refresh_token: token, expires_in: 3600 },
    },
    authClientId: viaLocalhost,
  });

  // Act
  const refreshed = await refreshSecretNow(services, membership, created.id);

  // Assess
  expect(refreshed.attributes.state).toBe('ready');
  expect(refreshed.meta.last_refresh_error).toBeNull();
  expect(refreshed.attributes.credentials).toEqual({
    access_token: expect.not.stringMatching(/^initial-access$/),
    refresh_token: expect.any(String),
    expires_in: 3600,
  });
  expect(Object.keys(refreshed.attributes.credentials ?? {})).not.toContain('id_token');
});

test('client_secret_post works', async () => {
  const created = await oauthSecret('post');
  const refreshed = await refreshSecretNow(services, membership, created.id);
  expect((refreshed.attributes.credentials as Record<string, unknown>).access_token).not.toBe(
    'initial-access',
  );
});

test('a provider that omits refresh_token leaves the old one in place, and it keeps working', async () => {
  const token = await oauth.mintRefreshToken(OAUTH_CLIENTS.norotate.clientId);
  const created = await oauthSecret('norotate', token);
  const first = await refreshSecretNow(uncoalesced, membership, created.id);
  const second = await refreshSecretNow(uncoalesced, membership, created.id);
  expect((first.attributes.credentials as Record<string, unknown>).refresh_token).toBe(token);
  expect((second.attributes.credentials as Record<string, unknown>).refresh_token).toBe(token);
  expect((second.attributes.credentials as Record<string, unknown>).access_token).not.toBe(
    (first.attributes.credentials as Record<string, unknown>).access_token,
  );
});

test('a provider that omits expires_in gets the auth-client default lifetime', async () => {
  const created = await oauthSecret('basic');
  await oauth.setFault('omit-expires-in', 1);
  const refreshed = await refreshSecretNow(services, membership, created.id);
  expect((refreshed.attributes.credentials as Record<string, unknown>).expires_in).toBe(1234);
  const expiresAt = Date.parse(String(refreshed.meta.expires_at));
  expect(expiresAt - Date.now()).toBeGreaterThan(1200 * 1000);
  expect(expiresAt - Date.now()).toBeLessThanOrEqual(1234 * 1000);
});

test('20 simultaneous refreshes spend the refresh token once and all return the same new token', async () => {
  const created = await oauthSecret('basic');
  await oauth.resetStats();
  await oauth.setFault('slow', 1, { delayMs: 300 });

  const results = await Promise.all(
    Array.from({ length: 20 }, () => refreshSecretNow(services, membership, created.id)),
  );

  const accessTokens = new Set(
    results.map((result) => (result.attributes.credentials as Record<string, unknown>).access_token),
  );
  expect(accessTokens.size).toBe(1);
  expect([...accessTokens][0]).not.toBe('initial-access');
  expect((await oauth.stats()).refreshGrants).toBe(1);
  const stored = await storedCredentials(created.id);
  expect(stored.credentials.access_token).toBe([...accessTokens][0]);
  expect(stored.secret.leaseOwner).toBeUndefined();
});

/** Token and refresh token of a refreshed secret's resource. */
const tokensOf = (resource: { attributes: { credentials: unknown } }) => {
  const { access_token, refresh_token } = resource.attributes.credentials as Record<string, unknown>;
  return { access_token, refresh_token };
};

test('a refresh stamped just after another one completed answers with its tokens and asks the provider nothing', async () => {
  // What a busy front door does to requests sent together: the later ones are stamped on arrival
  // after the first one's refresh has been stored.
  const created = await oauthSecret('basic');
  await oauth.resetStats();
  const first = await refreshSecretNow(services, membership, created.id);

  const late = await refreshSecretNow(services, membership, created.id, Date.now());

  expect(tokensOf(late)).toEqual(tokensOf(first));
  expect(await oauth.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
});

test('past REFRESH_COALESCE_SECONDS (here 0) the next refresh asks the provider again', async () => {
  const created = await oauthSecret('basic');
  await oauth.resetStats();
  const first = await refreshSecretNow(uncoalesced, membership, created.id);

  const next = await refreshSecretNow(uncoalesced, membership, created.id, Date.now() + 1);

  expect(tokensOf(next).access_token).not.toBe(tokensOf(first).access_token);
  expect(tokensOf(next).refresh_token).not.toBe(tokensOf(first).refresh_token);
  expect((await oauth.stats()).refreshGrants).toBe(2);
});

test('after new credentials (PATCH) the next refresh asks the provider, however soon', async () => {
  const created = await oauthSecret('basic');
  await refreshSecretNow(services, membership, created.id);
  const token = await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId);
  await patchSecret(services, membership, created.id, {
    attributes: { credentials: { access_token: 'patched-access', refresh_token: token, expires_in: 60 } },
  });
  await oauth.resetStats();

  const refreshed = await refreshSecretNow(services, membership, created.id);

  expect(tokensOf(refreshed).access_token).not.toBe('patched-access');
  expect(tokensOf(refreshed).refresh_token).not.toBe(token);
  expect(await oauth.stats()).toMatchObject({ tokenRequests: 1, refreshGrants: 1 });
});

test('while a refresh is in flight, a PATCH that changes credentials, state or error answers 409; a rename goes through and survives it', async () => {
  // Prepare: the provider holds its answer for 3 s (the refresh waits up to 10), and the refresh's
  // lease is on the item.
  const patient = createServices(readConfig({ ...stack.env, REFRESH_TIMEOUT_MS: '10000' }), stack.dynamoDb);
  const created = await oauthSecret('basic');
  await oauth.setFault('slow', 1, { delayMs: 3000 });
  const refreshing = refreshSecretNow(patient, membership, created.id);
  const leased = await until(
    () => storedCredentials(created.id),
    ({ secret }) => secret.leaseUntil !== undefined,
  );
  expect(leased.secret.leaseUntil).toBeDefined();
  const patch = (attributes: Parameters<typeof patchSecret>[3]['attributes']) =>
    patchSecret(services, membership, created.id, { attributes }).then(
      () => 'ok',
      (error: unknown) => (error instanceof ConflictError ? 'conflict' : error),
    );

  // Act
  const outcomes = {
    credentials: await patch({ credentials: { access_token: 'a', refresh_token: 'r', expires_in: 60 } }),
    state: await patch({ state: 'error' }),
    error: await patch({ error: 'disabled by an operator' }),
    name: await patch({ name: 'renamed meanwhile' }),
    // The state it already has (the whole resource sent back with a new name) changes nothing.
    sameState: await patch({ name: 'renamed meanwhile', state: 'ready', error: null }),
  };
  const leaseHeldThroughout = (await storedCredentials(created.id)).secret.leaseUntil !== undefined;
  const refreshed = await refreshing;

  // Assess: the refresh's outcome (ready, no error) is what a state PATCH would have lost.
  expect(leaseHeldThroughout).toBe(true);
  expect(outcomes).toEqual({
    credentials: 'conflict',
    state: 'conflict',
    error: 'conflict',
    name: 'ok',
    sameState: 'ok',
  });
  expect(refreshed.attributes).toMatchObject({ name: 'renamed meanwhile', state: 'ready' });
  const { secret } = await storedCredentials(created.id);
  expect({ name: secret.name, state: secret.state, error: secret.error }).toEqual({
    name: 'renamed meanwhile',
    state: 'ready',
    error: null,
  });
  expect(await patch({ state: 'error', error: 'disabled by an operator' })).toBe('ok');
});

test('a transient failure does not answer a later request: that one tries the provider again', async () => {
  const created = await oauthSecret('basic');
  await oauth.resetStats();
  await oauth.setFault('503', 1);
  await expect(refreshSecretNow(services, membership, created.id)).rejects.toBeInstanceOf(UpstreamError);

  const retry = await refreshSecretNow(services, membership, created.id, Date.now() + 1);

  expect(tokensOf(retry).access_token).not.toBe('initial-access');
  expect((await oauth.stats()).tokenRequests).toBe(2);
});

test('invalid_grant puts the secret in error with the provider description, and answers 422', async () => {
  const created = await oauthSecret('basic', 'not-a-real-refresh-token');

  const failure = await refreshSecretNow(services, membership, created.id).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(UnprocessableError);
  expect((failure as UnprocessableError).code).toBe('invalid_grant');
  const { secret, credentials } = await storedCredentials(created.id);
  expect(secret.state).toBe('error');
  expect(secret.error).toMatch(/^invalid_grant/);
  expect(secret.refreshError).toMatchObject({ code: 'invalid_grant', transient: false });
  expect(credentials.refresh_token).toBe('not-a-real-refresh-token');
});

test.each([
  ['503', 502],
  ['429', 503],
] as const)(
  'a token endpoint answering %s leaves the credentials untouched (answer %i)',
  async (fault, status) => {
    const created = await oauthSecret('basic');
    const before = await storedCredentials(created.id);
    await oauth.setFault(fault, 1);

    const failure = await refreshSecretNow(services, membership, created.id).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).status).toBe(status);
    const after = await storedCredentials(created.id);
    expect(after.credentials).toEqual(before.credentials);
    expect(after.secret.state).toBe('ready');
    expect(after.secret.refreshError).toMatchObject({ transient: true });
    expect(after.secret.nextAttemptAt).not.toBeNull();
    // And the grant is still alive: the next refresh succeeds with the same stored token.
    const refreshed = await refreshSecretNow(services, membership, created.id);
    expect(refreshed.meta.last_refresh_error).toBeNull();
  },
);

test('a token endpoint that never answers times out with 504 and changes nothing', async () => {
  const created = await oauthSecret('basic');
  const before = await storedCredentials(created.id);
  await oauth.setFault('hang', 1);

  const failure = await refreshSecretNow(services, membership, created.id).catch((error: unknown) => error);

  expect(failure).toBeInstanceOf(UpstreamError);
  expect((failure as UpstreamError).status).toBe(504);
  const after = await storedCredentials(created.id);
  expect(after.credentials).toEqual(before.credentials);
  expect(after.secret.state).toBe('ready');
  expect(after.secret.leaseOwner).toBeUndefined();
});

test('a token endpoint answering more than 256 KiB is a bad answer (502), not an unreachable one', async () => {
  // Prepare: a token endpoint whose answer never ends
  const endless = createHttpServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.write(`{"access_token":"${'a'.repeat(300 * 1024)}`);
  });
  await new Promise<void>((resolveListen) => endless.listen(0, '127.0.0.1', resolveListen));
  try {
    const { port } = endless.address() as AddressInfo;
    const { id: authClientId } = await createAuthClient(services, {
      tenantId: world.tenantId,
      name: 'endless',
      type: 'oauth2',
      tokenUrl: `http://127.0.0.1:${port}/token`,
      clientId: 'c',
      clientSecret: 's',
    });
    const created = await createSecret(services, membership, {
      attributes: {
        name: 'endless answer',
        state: 'ready',
        error: null,
        credentials: { access_token: 'a', refresh_token: 'r', expires_in: 3600 },
      },
      authClientId,
    });

    // Act
    const failure = await refreshSecretNow(services, membership, created.id).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).status).toBe(502);
    expect((failure as UpstreamError).message).toContain('answered over 256 KiB');
  } finally {
    endless.closeAllConnections();
    endless.close();
  }
});

test('a secret of an other auth-client does not support refresh', async () => {
  const created = await createSecret(services, membership, {
    attributes: { name: 'api key', state: 'ready', error: null, credentials: { key: 'k' } },
    authClientId: world.otherClientId,
  });
  const failure = await refreshSecretNow(services, membership, created.id).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(UnprocessableError);
  expect((failure as UnprocessableError).code).toBe('refresh_not_supported');
});

test('the scheduled run refreshes dozens of expiring secrets, marks dead grants, and leaves the rest alone', async () => {
  // A workspace of its own, so other tests' secrets do not count.
  const own = await createWorld(services);
  const ownMembership = await membershipOf(services, own.workspaceId, own.admin.id);
  const clientId = await registerOAuthClient(services, own.tenantId, oauth, 'basic');
  const create = (refreshToken: string, expiresIn: number) =>
    createSecret(services, ownMembership, {
      attributes: {
        name: 'scheduled',
        state: 'ready',
        error: null,
        credentials: { access_token: 'old', refresh_token: refreshToken, expires_in: expiresIn },
      },
      authClientId: clientId,
    });
  const tokens = await Promise.all(
    Array.from({ length: 60 }, () => oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId)),
  );
  const expiring = await Promise.all(tokens.map((token) => create(token, 60)));
  const dead = await Promise.all(Array.from({ length: 10 }, (_, index) => create(`dead-${index}`, 30)));
  const later = await Promise.all(Array.from({ length: 5 }, (_, index) => create(`later-${index}`, 86_400)));

  const summary = await refreshDueSecrets(services, { stopStartingAt: Date.now() + 120_000 });

  // Other tests' secrets expire in an hour, outside the 10-minute window: only ours are due.
  expect(summary).toEqual({ refreshed: 60, failed: 10, skipped: 0 });
  for (const secret of expiring.slice(0, 5)) {
    const { secret: stored, credentials } = await storedCredentials2(own.workspaceId, secret.id);
    expect(stored.state).toBe('ready');
    expect(credentials.access_token).not.toBe('old');
  }
  for (const secret of dead.slice(0, 5)) {
    const stored = await services.secrets.get(own.workspaceId, secret.id);
    expect(stored?.state).toBe('error');
  }
  for (const secret of later) {
    const stored = await services.secrets.get(own.workspaceId, secret.id);
    expect(stored?.refreshedAt).toBeNull();
  }

  // Nothing is due any more: the refreshed ones now expire in an hour, the dead ones left the index.
  expect(await refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 })).toEqual({
    refreshed: 0,
    failed: 0,
    skipped: 0,
  });
}, 120_000);

test('secrets in backoff after a transient failure are skipped until their next attempt', async () => {
  const own = await createWorld(services);
  const ownMembership = await membershipOf(services, own.workspaceId, own.admin.id);
  const clientId = await registerOAuthClient(services, own.tenantId, oauth, 'basic');
  const token = await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId);
  await createSecret(services, ownMembership, {
    attributes: {
      name: 'flaky',
      state: 'ready',
      error: null,
      credentials: { access_token: 'a', refresh_token: token, expires_in: 10 },
    },
    authClientId: clientId,
  });
  await oauth.setFault('503');

  const first = await refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 });
  const second = await refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 });

  expect(first).toEqual({ refreshed: 0, failed: 1, skipped: 0 });
  expect(second).toEqual({ refreshed: 0, failed: 0, skipped: 1 });
});

async function storedCredentials2(workspaceId: string, secretId: string) {
  const secret = await services.secrets.get(workspaceId, secretId);
  if (!secret) throw new Error('secret vanished');
  return { secret, credentials: await openCredentials(services.envelope, secret) };
}

/** A table of its own, so that a scheduled run at a made-up time sees only this test's secrets. */
async function isolatedWorld() {
  const own = await startTestStack();
  const ownWorld = await createWorld(own.services);
  const ownMembership = await membershipOf(own.services, ownWorld.workspaceId, ownWorld.admin.id);
  const runAt = (at: number) =>
    refreshDueSecrets(own.services, { now: () => at, stopStartingAt: at + 60_000 });
  return { own, ownWorld, ownMembership, runAt };
}

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const iso = (ms: number) => new Date(ms).toISOString();

describe('transient failures past REFRESH_GIVE_UP_SECONDS (default 3 days)', () => {
  test('the schedule retries with backoff, then gives up: state error saying why, listed under filter[state]=error, out of the schedule; a later success recovers it', async () => {
    const { own, ownWorld, ownMembership, runAt } = await isolatedWorld();
    try {
      const clientId = await registerOAuthClient(own.services, ownWorld.tenantId, oauth, 'basic');
      const token = await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId);
      const t0 = Date.now();
      const created = await createSecret(
        own.services,
        ownMembership,
        {
          attributes: {
            name: 'flaky provider',
            state: 'ready',
            error: null,
            credentials: { access_token: 'a', refresh_token: token, expires_in: 60 },
          },
          authClientId: clientId,
        },
        new Date(t0),
      );
      const stored = async () => {
        const secret = await own.services.secrets.get(ownWorld.workspaceId, created.id);
        if (!secret) throw new Error('secret vanished');
        return secret;
      };
      const meta = async () => (await getSecret(own.services, ownMembership, created.id)).meta;
      const total = async (state: 'ready' | 'error') =>
        (await own.services.secrets.list(ownWorld.workspaceId, { state }, { offset: 0, limit: 1 })).total;
      const counts = async () => ({ ready: await total('ready'), error: await total('error') });
      expect(await meta()).toMatchObject({
        refresh_failures: 0,
        next_refresh_at: iso(t0 + 60 * SECOND - 600 * SECOND),
      });
      await oauth.setFault('503');

      expect(await runAt(t0)).toEqual({ refreshed: 0, failed: 1, skipped: 0 });
      const first = await stored();
      expect(first).toMatchObject({ state: 'ready', refreshFailures: 1, failingSince: iso(t0) });
      // Each write carries the event it is (the table's stream publishes it): a retried failure.
      expect(first.lastChange).toMatchObject({
        type: 'auth_secret.refresh_failed',
        errorCode: 'unavailable',
      });
      expect(await meta()).toMatchObject({ refresh_failures: 1, next_refresh_at: first.nextAttemptAt });
      // In backoff: the next run leaves it alone.
      expect(await runAt(t0 + 10 * SECOND)).toEqual({ refreshed: 0, failed: 0, skipped: 1 });

      expect(await runAt(t0 + 2 * DAY)).toEqual({ refreshed: 0, failed: 1, skipped: 0 });
      expect(await stored()).toMatchObject({ state: 'ready', refreshFailures: 2, failingSince: iso(t0) });

      expect(await runAt(t0 + 3 * DAY + SECOND)).toEqual({ refreshed: 0, failed: 1, skipped: 0 });
      const gaveUp = await stored();
      expect(gaveUp).toMatchObject({
        state: 'error',
        error: 'gave up after 3 days of failed refreshes: token endpoint answered 503',
        refreshFailures: 3,
        refreshError: { transient: true },
        // The platform must ask its user to reconnect.
        lastChange: { type: 'auth_secret.reconnect_required', errorCode: 'unavailable' },
      });
      expect(await meta()).toMatchObject({ refresh_failures: 3, next_refresh_at: null });
      // Each scheduled refresh is in the audit trail, with the scheduler as its actor.
      const trail = await own.services.audit.list(
        ownWorld.workspaceId,
        { authSecretId: created.id },
        { limit: 10 },
      );
      expect(trail.records.map((record) => [record.action, record.actor.kind, record.status])).toEqual([
        ['auth_secret.refresh.scheduled', 'scheduler', 503],
        ['auth_secret.refresh.scheduled', 'scheduler', 503],
        ['auth_secret.refresh.scheduled', 'scheduler', 503],
      ]);
      expect(await counts()).toEqual({ ready: 0, error: 1 });
      const listed = await own.services.secrets.list(
        ownWorld.workspaceId,
        { state: 'error' },
        { offset: 0, limit: 10 },
      );
      expect(listed.secrets.map((secret) => secret.id)).toEqual([created.id]);
      // Out of the schedule: nothing is due any more.
      expect(await runAt(t0 + 4 * DAY)).toEqual({ refreshed: 0, failed: 0, skipped: 0 });

      // The provider is back and someone asks for a refresh: the secret recovers.
      await oauth.setFault('none');
      const recovered = await refreshSecretNow(own.services, ownMembership, created.id, t0 + 5 * DAY);
      expect(recovered.attributes.state).toBe('ready');
      expect(recovered.attributes).not.toHaveProperty('error');
      expect(recovered.meta).toMatchObject({ refresh_failures: 0, last_refresh_error: null });
      expect(await stored()).toMatchObject({
        failingSince: null,
        refreshFailures: 0,
        lastChange: { type: 'auth_secret.recovered' },
      });
      expect((await stored()).lastChange).not.toHaveProperty('errorCode');
      expect(await counts()).toEqual({ ready: 1, error: 0 });
    } finally {
      await oauth.setFault('none');
      await own.stop();
    }
  }, 60_000);

  test('a refresh on demand that gives up answers its transient status and says the secret is now in error', async () => {
    const quick = createServices(
      readConfig({ ...stack.env, REFRESH_COALESCE_SECONDS: '0', REFRESH_GIVE_UP_SECONDS: '1' }),
      stack.dynamoDb,
    );
    const created = await oauthSecret('basic');
    await oauth.setFault('503', 2);

    const first = await refreshSecretNow(quick, membership, created.id).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(UpstreamError);
    expect((await quick.secrets.get(world.workspaceId, created.id))?.state).toBe('ready');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await refreshSecretNow(quick, membership, created.id).catch((error: unknown) => error);

    expect(second).toBeInstanceOf(UpstreamError);
    expect((second as UpstreamError).status).toBe(502);
    expect((second as UpstreamError).message).toMatch(/now in state error/);
    const secret = await quick.secrets.get(world.workspaceId, created.id);
    expect(secret?.state).toBe('error');
    expect(secret?.error).toBe('gave up after 1 second of failed refreshes: token endpoint answered 503');
  });
});

describe('refresh_interval_seconds on an auth-client', () => {
  test('its secrets are refreshed at least that often though their tokens do not expire; others are left alone', async () => {
    const { own, ownWorld, ownMembership, runAt } = await isolatedWorld();
    try {
      const interval = 1800;
      const window = own.services.config.refreshWindowSeconds;
      const withInterval = await registerOAuthClient(own.services, ownWorld.tenantId, oauth, 'basic', {
        refreshIntervalSeconds: interval,
      });
      const without = await registerOAuthClient(own.services, ownWorld.tenantId, oauth, 'basic');
      const t0 = Date.now();
      const create = async (authClientId: string) =>
        createSecret(
          own.services,
          ownMembership,
          {
            attributes: {
              name: 'long-lived',
              state: 'ready',
              error: null,
              credentials: {
                access_token: 'a',
                refresh_token: await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId),
                expires_in: 30 * 86_400,
              },
            },
            authClientId,
          },
          new Date(t0),
        );
      const kept = await create(withInterval);
      const other = await create(without);
      expect(kept.meta.next_refresh_at).toBe(iso(t0 + (interval - window) * SECOND));
      expect(other.meta.next_refresh_at).toBe(iso(t0 + (30 * 86_400 - window) * SECOND));

      expect(await runAt(t0 + (interval - window - 60) * SECOND)).toEqual({
        refreshed: 0,
        failed: 0,
        skipped: 0,
      });
      const t1 = t0 + (interval - window + 60) * SECOND;
      expect(await runAt(t1)).toEqual({ refreshed: 1, failed: 0, skipped: 0 });
      expect((await own.services.secrets.get(ownWorld.workspaceId, kept.id))?.refreshedAt).toBe(iso(t1));
      expect((await own.services.secrets.get(ownWorld.workspaceId, other.id))?.refreshedAt).toBeNull();

      // The provider's new tokens live an hour, longer than the interval: the next refresh is due an
      // interval after this one.
      const refreshed = await getSecret(own.services, ownMembership, kept.id);
      expect(refreshed.meta.next_refresh_at).toBe(iso(t1 + (interval - window) * SECOND));
      expect(await runAt(t1 + (interval - window - 60) * SECOND)).toEqual({
        refreshed: 0,
        failed: 0,
        skipped: 0,
      });
      expect(await runAt(t1 + (interval - window + 60) * SECOND)).toEqual({
        refreshed: 1,
        failed: 0,
        skipped: 0,
      });
    } finally {
      await own.stop();
    }
  }, 60_000);

  test('is an oauth2 setting of at least 60 seconds, shown on the auth-client and cleared with null', async () => {
    const refusedOther = await createAuthClient(services, {
      tenantId: world.tenantId,
      name: 'api key',
      type: 'other',
      refreshIntervalSeconds: 3600,
    }).catch((error: unknown) => error);
    expect(refusedOther).toBeInstanceOf(ValidationError);
    expect(refusedOther).toMatchObject({ source: { pointer: '/data/attributes/refresh_interval_seconds' } });

    const id = await registerOAuthClient(services, world.tenantId, oauth, 'basic', {
      refreshIntervalSeconds: 86_400,
    });
    const client = await services.authClients.get(world.tenantId, id);
    if (!client) throw new Error('auth-client missing');
    expect(client.refreshIntervalSeconds).toBe(86_400);
    expect(authClientResource(client).attributes).toMatchObject({ refresh_interval_seconds: 86_400 });
    const cleared = await patchAuthClient(services, world.tenantId, id, { refreshIntervalSeconds: null });
    expect(cleared.attributes).toMatchObject({ refresh_interval_seconds: null });
  });
});
