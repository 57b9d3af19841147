/**
 * filter[state] (issue 10, Health): the lists by state are counted lists like the others, combined
 * with filter[user] and filter[auth_client], and a secret moves between them in the same write that
 * changes its state: a PATCH, or a refresh's save under its lease. Exact totals, offset pages across
 * block boundaries and keyset walks agree with the truth, on the real DynamoDB Local and a real
 * OAuth server.
 */
import { UnprocessableError } from '../../lib/errors';
import type { Membership, SecretRecord, SecretState } from '../../lib/model';
import { refreshSecretNow } from '../../lib/refresh/useCases';
import { createSecret, patchSecret } from '../../lib/secrets/useCases';
import type { Services } from '../../lib/services';
import type { SecretListFilter } from '../../lib/store/keys';
import type { SecretRepository } from '../../lib/store/ports';
import { createAuthClient } from '../../lib/directory/admin';
import { createMember, createWorld, membershipOf, type World } from '../support/fixtures';
import { BLOCK_SIZE, walkSecrets } from '../support/lists';
import { startTestStack, type TestStack } from '../support/localStack';
import {
  OAUTH_CLIENTS,
  registerOAuthClient,
  startOAuthServer,
  type OAuthServer,
} from '../support/oauthServer';

let stack: TestStack;
let oauth: OAuthServer;
let services: Services;

beforeAll(async () => {
  [stack, oauth] = await Promise.all([startTestStack(), startOAuthServer()]);
  services = stack.services;
}, 90_000);

afterAll(async () => {
  await oauth?.stop();
  await stack?.stop();
});

/** The ids of every secret of the list, walked by key. */
const walk = async (workspaceId: string, filter: SecretListFilter) =>
  (await walkSecrets(services.secrets, workspaceId, filter)).map((secret) => secret.id);

type Truth = Pick<SecretRecord, 'id' | 'userId' | 'authClientId' | 'state'>;

/** Every combination of the three filters (each absent or one value), with what it selects. */
function combinations(values: {
  users: string[];
  clients: string[];
}): Array<[SecretListFilter, (secret: Truth) => boolean]> {
  const users = [undefined, ...values.users];
  const clients = [undefined, ...values.clients];
  const states: Array<SecretState | undefined> = [undefined, 'ready', 'error'];
  return users.flatMap((userId) =>
    clients.flatMap((authClientId) =>
      states.map((state): [SecretListFilter, (secret: Truth) => boolean] => [
        { userId, authClientId, state },
        (secret) =>
          (userId === undefined || secret.userId === userId) &&
          (authClientId === undefined || secret.authClientId === authClientId) &&
          (state === undefined || secret.state === state),
      ]),
    ),
  );
}

/** Totals, keyset walks and offset pages of every filter combination, next to the truth. */
async function expectListsToMatch(
  workspaceId: string,
  truth: readonly Truth[],
  values: { users: string[]; clients: string[] },
) {
  const ordered = [...truth].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const [filter, belongs] of combinations(values)) {
    const expected = ordered.filter(belongs).map((secret) => secret.id);
    expect({ filter, walked: await walk(workspaceId, filter) }).toEqual({ filter, walked: expected });
    const offsets = [0, 1, Math.floor(expected.length / 2), BLOCK_SIZE - 1, BLOCK_SIZE, expected.length - 2];
    for (const offset of offsets.filter((candidate) => candidate >= 0 && candidate < expected.length)) {
      const page = await services.secrets.list(workspaceId, filter, { offset, limit: 4 });
      expect({ filter, offset, total: page.total, ids: page.secrets.map((secret) => secret.id) }).toEqual({
        filter,
        offset,
        total: expected.length,
        ids: expected.slice(offset, offset + 4),
      });
      expect(page.more).toBe(offset + 4 < expected.length);
    }
  }
}

describe('lists by state, with every other filter', () => {
  let world: World;
  let admin: Membership;
  let bob: Membership;
  let secondClientId: string;
  const truth: Truth[] = [];
  const values = () => ({
    users: [admin.userId, bob.userId],
    clients: [world.otherClientId, secondClientId],
  });

  beforeAll(async () => {
    world = await createWorld(services);
    admin = await membershipOf(services, world.workspaceId, world.admin.id);
    const bobUser = await createMember(services, world.workspaceId, { role: 'admin' });
    bob = await membershipOf(services, world.workspaceId, bobUser.id);
    secondClientId = (
      await createAuthClient(services, { tenantId: world.tenantId, name: 'second', type: 'other' })
    ).id;
    // More than a block in the error lists, created in parallel batches so that ids interleave.
    const count = 2 * BLOCK_SIZE + 10;
    for (let start = 0; start < count; start += 20) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(20, count - start) }, async (_, offset) => {
          const index = start + offset;
          const membership = index % 3 === 0 ? bob : admin;
          const authClientId = index % 4 === 0 ? secondClientId : world.otherClientId;
          const state: SecretState = index % 5 < 3 ? 'error' : 'ready';
          const created = await createSecret(services, membership, {
            attributes: {
              name: `s${index}`,
              state,
              error: state === 'error' ? 'broken' : null,
              credentials: { api_key: `k${index}` },
            },
            authClientId,
          });
          return { id: created.id, userId: membership.userId, authClientId, state };
        }),
      );
      truth.push(...batch);
    }
  }, 120_000);

  test('each secret is listed and counted under its state', async () => {
    expect(truth.filter((secret) => secret.state === 'error').length).toBeGreaterThan(BLOCK_SIZE);
    await expectListsToMatch(world.workspaceId, truth, values());
  }, 120_000);

  test('PATCHes of the state (alone, and with a move to another auth-client) move secrets between the lists', async () => {
    const changes = truth.filter((_, index) => index % 3 === 1);
    const change = async (secret: Truth, index: number) => {
      const state: SecretState = secret.state === 'ready' ? 'error' : 'ready';
      const moveTo =
        index % 2 === 0
          ? secret.authClientId === secondClientId
            ? world.otherClientId
            : secondClientId
          : undefined;
      await patchSecret(services, secret.userId === bob.userId ? bob : admin, secret.id, {
        attributes: { state, ...(moveTo ? { credentials: { api_key: 'moved' } } : {}) },
        ...(moveTo ? { authClientId: moveTo } : {}),
      });
      secret.state = state;
      if (moveTo) secret.authClientId = moveTo;
    };
    for (let start = 0; start < changes.length; start += 10) {
      await Promise.all(
        changes.slice(start, start + 10).map((secret, index) => change(secret, start + index)),
      );
    }
    // A rename changes no list.
    await patchSecret(services, admin, truth[0]?.id ?? '', { attributes: { name: 'renamed' } });

    await expectListsToMatch(world.workspaceId, truth, values());
  }, 180_000);
});

describe('a refresh moves its secret between the state lists under its lease', () => {
  let world: World;
  let membership: Membership;
  let clientId: string;

  beforeAll(async () => {
    world = await createWorld(services);
    membership = await membershipOf(services, world.workspaceId, world.admin.id);
    clientId = await registerOAuthClient(services, world.tenantId, oauth, 'basic');
  }, 60_000);

  async function oauthSecret(refreshToken: string) {
    return createSecret(services, membership, {
      attributes: {
        name: 'tokens',
        state: 'ready',
        error: null,
        credentials: { access_token: 'a', refresh_token: refreshToken, expires_in: 3600 },
      },
      authClientId: clientId,
    });
  }

  async function totals(filter: SecretListFilter = {}) {
    const total = async (state: SecretState) =>
      (await services.secrets.list(world.workspaceId, { ...filter, state }, { offset: 0, limit: 1 })).total;
    return { ready: await total('ready'), error: await total('error') };
  }

  test('a refusal moves it to the error lists, and a later successful refresh back to the ready ones', async () => {
    const bystander = await oauthSecret(await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId));
    const created = await oauthSecret('revoked-refresh-token');
    const byClient = { userId: membership.userId, authClientId: clientId };
    expect(await totals()).toEqual({ ready: 2, error: 0 });

    await expect(refreshSecretNow(services, membership, created.id)).rejects.toBeInstanceOf(
      UnprocessableError,
    );

    expect(await totals()).toEqual({ ready: 1, error: 1 });
    expect(await totals(byClient)).toEqual({ ready: 1, error: 1 });
    expect(await walk(world.workspaceId, { state: 'error' })).toEqual([created.id]);
    expect(await walk(world.workspaceId, { ...byClient, state: 'ready' })).toEqual([bystander.id]);

    // New credentials leave the state alone (the caller may say otherwise); a refresh that works
    // then brings the secret back.
    await patchSecret(services, membership, created.id, {
      attributes: {
        credentials: {
          access_token: 'b',
          refresh_token: await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId),
          expires_in: 3600,
        },
      },
    });
    expect(await totals()).toEqual({ ready: 1, error: 1 });
    const refreshed = await refreshSecretNow(services, membership, created.id);

    expect(refreshed.attributes.state).toBe('ready');
    expect(await totals()).toEqual({ ready: 2, error: 0 });
    expect(await totals(byClient)).toEqual({ ready: 2, error: 0 });
    expect(await walk(world.workspaceId, { state: 'ready' })).toEqual([bystander.id, created.id]);
    expect(await walk(world.workspaceId, { ...byClient, state: 'error' })).toEqual([]);
  }, 60_000);

  test('a save whose lease was taken over between its read and its write changes no list', async () => {
    const created = await oauthSecret('unused');
    const before = await totals();
    const now = Date.now();
    const leased = await services.secrets.acquireLease(world.workspaceId, created.id, 'first', now, 1000);
    expect(leased).toBeDefined();

    // The lease expires and another refresh takes it between the save's read and its write.
    const real = services.secrets;
    const racing: SecretRepository = Object.create(real);
    let raced = false;
    racing.get = async (workspaceId, secretId) => {
      const read = await real.get(workspaceId, secretId);
      if (!raced) {
        raced = true;
        await real.acquireLease(workspaceId, secretId, 'second', now + 5000, 1000);
      }
      return read;
    };

    const saved = await racing.saveUnderLease(world.workspaceId, created.id, 'first', (current) => ({
      ...current,
      state: 'error',
      error: 'should not be stored',
    }));

    expect(saved).toBeUndefined();
    const stored = await services.secrets.get(world.workspaceId, created.id);
    expect(stored?.state).toBe('ready');
    expect(stored?.leaseOwner).toBe('second');
    expect(await totals()).toEqual(before);

    // The holder of the lease saves the same change, and the lists follow it.
    const second = await services.secrets.saveUnderLease(
      world.workspaceId,
      created.id,
      'second',
      (current) => ({
        ...current,
        state: 'error',
        error: 'stored',
      }),
    );
    expect(second?.state).toBe('error');
    expect(await totals()).toEqual({ ready: before.ready - 1, error: before.error + 1 });
    expect(await walk(world.workspaceId, { state: 'error' })).toContain(created.id);
  }, 60_000);
});
