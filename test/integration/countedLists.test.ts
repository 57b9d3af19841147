/**
 * Lists whose cost does not grow with the workspace, and invariants across items kept by
 * transactions, on the real DynamoDB Local: exact totals under concurrent creates, deletes and
 * moves; offset pages across block boundaries and keyset pages equal to the true order; an
 * auth-client deleted while a secret is created on it never leaves an orphan.
 */
import { createAuthClient } from '../../lib/directory/admin';
import { deleteAuthClient } from '../../lib/authClients/useCases';
import { ConflictError, NotFoundError } from '../../lib/errors';
import type { Membership, SecretRecord } from '../../lib/model';
import { createSecret, deleteSecret, patchSecret } from '../../lib/secrets/useCases';
import type { Services } from '../../lib/services';
import type { SecretListFilter } from '../../lib/store/keys';
import { createMember, createWorld, membershipOf, type World } from '../support/fixtures';
import { BLOCK_SIZE, walkSecrets } from '../support/lists';
import { startTestStack, type TestStack } from '../support/localStack';

let stack: TestStack;
let services: Services;
let world: World;

beforeAll(async () => {
  stack = await startTestStack();
  services = stack.services;
  world = await createWorld(services);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

function create(membership: Membership, authClientId: string, name = 'secret') {
  return createSecret(services, membership, {
    attributes: { name, state: 'ready', error: null, credentials: { api_key: name } },
    authClientId,
  });
}

async function newWorkspaceMembership(): Promise<Membership> {
  const fresh = await createWorld(services);
  return membershipOf(services, fresh.workspaceId, fresh.admin.id);
}

/** Every secret of the list, walked by key. */
const walk = (workspaceId: string, filter: SecretListFilter) =>
  walkSecrets(services.secrets, workspaceId, filter);

test('50 concurrent creates into one workspace all succeed, and the total then says 50', async () => {
  const membership = await newWorkspaceMembership();
  const otherClient = (await services.authClients.list(membership.tenantId)).find(
    (client) => client.type === 'other',
  );
  if (!otherClient) throw new Error('fixture auth-client missing');

  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, index) => create(membership, otherClient.id, `s${index}`)),
  );

  expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
  const page = await services.secrets.list(membership.workspaceId, {}, { offset: 0, limit: 10 });
  expect(page.total).toBe(50);
  expect(await walk(membership.workspaceId, {})).toHaveLength(50);
}, 60_000);

/** The third block's share: part of a block, so that the list ends inside one. */
const TAIL = Math.min(37, BLOCK_SIZE - 1);

describe(`a list of ${2 * BLOCK_SIZE + TAIL} secrets (three blocks)`, () => {
  let membership: Membership;
  let ordered: SecretRecord[];
  let bobId: string;

  beforeAll(async () => {
    membership = await membershipOf(services, world.workspaceId, world.admin.id);
    const bob = await createMember(services, world.workspaceId, { role: 'admin' });
    bobId = bob.id;
    const bobInWorkspace = await membershipOf(services, world.workspaceId, bob.id);
    // In parallel batches: ids interleave across writers, as with many Lambda instances.
    const count = 2 * BLOCK_SIZE + TAIL;
    for (let start = 0; start < count; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, count - start) }, (_, index) =>
          (start + index) % 3 === 0
            ? create(bobInWorkspace, world.otherClientId, `b${start + index}`)
            : create(membership, world.otherClientId, `a${start + index}`),
        ),
      );
    }
    ordered = await walk(world.workspaceId, {});
  }, 120_000);

  test('the keyset walk sees every secret once, in id order, and agrees with the counter', async () => {
    const ids = ordered.map((secret) => secret.id);
    expect(ids).toHaveLength(2 * BLOCK_SIZE + TAIL);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect((await services.secrets.list(world.workspaceId, {}, { offset: 0, limit: 1 })).total).toBe(
      ids.length,
    );
  });

  test.each([
    0,
    1,
    TAIL,
    BLOCK_SIZE - 1,
    BLOCK_SIZE,
    BLOCK_SIZE + 1,
    2 * BLOCK_SIZE - 3,
    2 * BLOCK_SIZE + TAIL - 7,
    2 * BLOCK_SIZE + TAIL - 1,
  ])('offset %d gives exactly the secrets at that position', async (offset) => {
    const page = await services.secrets.list(world.workspaceId, {}, { offset, limit: 7 });
    expect(page.secrets.map((secret) => secret.id)).toEqual(
      ordered.slice(offset, offset + 7).map((secret) => secret.id),
    );
    expect(page.more).toBe(offset + 7 < ordered.length);
  });

  test('a filtered list pages and counts its own members only', async () => {
    const bobs = ordered.filter((secret) => secret.userId === bobId);
    const page = await services.secrets.list(world.workspaceId, { userId: bobId }, { offset: 50, limit: 10 });
    expect(page.total).toBe(bobs.length);
    expect(page.secrets.map((secret) => secret.id)).toEqual(bobs.slice(50, 60).map((secret) => secret.id));
  });

  test('after deletes and moves between auth-clients, every count and page is still exact', async () => {
    const victims = ordered.filter((_, index) => index % 7 === 3);
    const movers = ordered.filter((_, index) => index % 7 === 5);
    await Promise.all([
      ...victims.map((secret) => deleteSecret(services, membership, secret.id)),
      ...movers.map((secret) =>
        patchSecret(services, membership, secret.id, {
          attributes: { credentials: { access_token: 'a', refresh_token: 'r', expires_in: 60 } },
          authClientId: world.oauth2ClientId,
        }),
      ),
    ]);
    const victimIds = new Set(victims.map((secret) => secret.id));
    const moverIds = new Set(movers.map((secret) => secret.id));
    const remaining = ordered.filter((secret) => !victimIds.has(secret.id));
    const filters: Array<[SecretListFilter, (secret: SecretRecord) => boolean]> = [
      [{}, () => true],
      [{ userId: bobId }, (secret) => secret.userId === bobId],
      [{ authClientId: world.oauth2ClientId }, (secret) => moverIds.has(secret.id)],
      [{ authClientId: world.otherClientId }, (secret) => !moverIds.has(secret.id)],
      [
        { userId: bobId, authClientId: world.oauth2ClientId },
        (secret) => secret.userId === bobId && moverIds.has(secret.id),
      ],
    ];
    for (const [filter, belongs] of filters) {
      const expected = remaining.filter(belongs).map((secret) => secret.id);
      const walked = (await walk(world.workspaceId, filter)).map((secret) => secret.id);
      expect(walked).toEqual(expected);
      const middle = Math.floor(expected.length / 2);
      const page = await services.secrets.list(world.workspaceId, filter, { offset: middle, limit: 5 });
      expect(page.total).toBe(expected.length);
      expect(page.secrets.map((secret) => secret.id)).toEqual(expected.slice(middle, middle + 5));
    }
  }, 60_000);
});

describe('an auth-client deleted while a secret is created on it', () => {
  const ROUNDS = 12;

  test.each([false, true])(
    'never leaves an orphan (cascade: %s)',
    async (cascade) => {
      const membership = await newWorkspaceMembership();
      const outcomes = { created: 0, refused: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        const client = await createAuthClient(services, {
          tenantId: membership.tenantId,
          name: `c${round}`,
          type: 'other',
        });
        const [deleted, created] = await Promise.allSettled([
          deleteAuthClient(services, membership.tenantId, client.id, cascade),
          create(membership, client.id, `r${round}`),
        ]);
        const clientExists = (await services.authClients.get(membership.tenantId, client.id)) !== undefined;
        const secrets = await services.secrets.listKeysByAuthClient(client.id, Infinity);
        if (created.status === 'fulfilled') {
          outcomes.created++;
          // The secret exists only if its auth-client does.
          const stillThere = await services.secrets.get(membership.workspaceId, created.value.id);
          if (!clientExists) expect(stillThere).toBeUndefined();
        } else {
          outcomes.refused++;
          // The loser of the race is told so: 409 (or 422/404 for a client already gone before it looked).
          expect(created.reason).toBeInstanceOf(Error);
        }
        if (deleted.status === 'rejected') {
          expect(cascade).toBe(false);
          expect(deleted.reason).toBeInstanceOf(ConflictError);
          expect(clientExists).toBe(true);
        } else {
          expect(clientExists).toBe(false);
          expect(secrets).toEqual([]);
        }
      }
      expect(outcomes.created + outcomes.refused).toBe(ROUNDS);
      // Every secret the workspace counts is one that exists, and none of them is an orphan.
      const listed = await walk(membership.workspaceId, {});
      const page = await services.secrets.list(membership.workspaceId, {}, { offset: 0, limit: 1 });
      expect(page.total).toBe(listed.length);
      for (const secret of listed) {
        expect(await services.authClients.get(membership.tenantId, secret.authClientId)).toBeDefined();
      }
    },
    60_000,
  );

  test('a cascade delete removes exactly the secrets that exist, and the counts follow', async () => {
    const membership = await newWorkspaceMembership();
    const client = await createAuthClient(services, {
      tenantId: membership.tenantId,
      name: 'doomed',
      type: 'other',
    });
    const keeper = await createAuthClient(services, {
      tenantId: membership.tenantId,
      name: 'kept',
      type: 'other',
    });
    await Promise.all(Array.from({ length: 12 }, (_, index) => create(membership, client.id, `d${index}`)));
    const kept = await create(membership, keeper.id, 'kept');

    await deleteAuthClient(services, membership.tenantId, client.id, true);

    expect((await walk(membership.workspaceId, {})).map((secret) => secret.id)).toEqual([kept.id]);
    const page = await services.secrets.list(
      membership.workspaceId,
      { authClientId: client.id },
      { offset: 0, limit: 10 },
    );
    expect(page).toEqual({ secrets: [], total: 0, more: false });
    await expect(create(membership, client.id, 'late')).rejects.toBeInstanceOf(Error);
    await expect(deleteAuthClient(services, membership.tenantId, client.id, false)).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });
});
