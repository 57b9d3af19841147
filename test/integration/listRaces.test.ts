/**
 * Interleavings and inputs that once broke the counted lists and the cross-item invariants (issue 9,
 * found in review), each written as the expectation the issue states.
 */
import { createAuthClient } from '../../lib/directory/admin';
import { deleteAuthClient } from '../../lib/authClients/useCases';
import { ConflictError } from '../../lib/errors';
import type { Membership, SecretRecord } from '../../lib/model';
import { createSecret, deleteSecret, patchSecret } from '../../lib/secrets/useCases';
import type { Services } from '../../lib/services';
import type { SecretListFilter } from '../../lib/store/keys';
import type { SecretRepository } from '../../lib/store/ports';
import { toItem } from '../../lib/store/secrets';
import { createWorld, membershipOf } from '../support/fixtures';
import { BLOCK_SIZE, walkSecrets } from '../support/lists';
import { startTestStack, type TestStack } from '../support/localStack';

let stack: TestStack;
let services: Services;

beforeAll(async () => {
  stack = await startTestStack();
  services = stack.services;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

async function newWorkspaceMembership(): Promise<Membership> {
  const fresh = await createWorld(services);
  const membership = await membershipOf(services, fresh.workspaceId, fresh.admin.id);
  return membership;
}

async function otherClient(tenantId: string, name: string): Promise<string> {
  return (await createAuthClient(services, { tenantId, name, type: 'other' })).id;
}

function create(membership: Membership, authClientId: string, name: string, now?: Date) {
  return createSecret(
    services,
    membership,
    { attributes: { name, state: 'ready', error: null, credentials: { api_key: name } }, authClientId },
    now,
  );
}

/** The ids of every secret of the list, walked by key. */
const walk = async (workspaceId: string, filter: SecretListFilter) =>
  (await walkSecrets(services.secrets, workspaceId, filter)).map((secret) => secret.id);

/** The page at every offset from `from` on, next to what the key order says it should be. */
async function offsetPages(workspaceId: string, filter: SecretListFilter, from: number, limit = 3) {
  const ordered = await walk(workspaceId, filter);
  const pages: Array<{ offset: number; got: string[]; want: string[] }> = [];
  for (let offset = from; offset < ordered.length; offset++) {
    const page = await services.secrets.list(workspaceId, filter, { offset, limit });
    pages.push({
      offset,
      got: page.secrets.map((secret: SecretRecord) => secret.id),
      want: ordered.slice(offset, offset + limit),
    });
  }
  return { ordered, pages };
}

describe('block boundaries', () => {
  test('a block opened by an id older than one already counted in the head shifts every later offset', async () => {
    // Two Lambda instances: one makes its id at T+10 and is slowed (KMS, cold start) until after the
    // other, whose id was made at T+20, has committed the head block's 100th member. The slow one
    // then finds the head full and opens a block at its own id, which is older than a member the
    // previous block already counts.
    const membership = await newWorkspaceMembership();
    const client = await otherClient(membership.tenantId, 'boundary');
    const t = Date.now();
    for (let start = 0; start < BLOCK_SIZE - 1; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, BLOCK_SIZE - 1 - start) }, (_, index) =>
          create(membership, client, `a${start + index}`, new Date(t)),
        ),
      );
    }
    const late = await create(membership, client, 'made-last-committed-first', new Date(t + 20));
    const early = await create(membership, client, 'made-first-committed-last', new Date(t + 10));

    const { ordered, pages } = await offsetPages(membership.workspaceId, {}, BLOCK_SIZE - 2);
    expect(ordered.slice(-2)).toEqual([early.id, late.id]);
    // Offset BLOCK_SIZE must be the newest secret alone; it answers [early, late]: early twice in a walk by offsets.
    for (const page of pages)
      expect({ offset: page.offset, ids: page.got }).toEqual({ offset: page.offset, ids: page.want });
  }, 120_000);

  test('moving an old secret into a list whose head block is full opens a block at an id older than the head', async () => {
    const membership = await newWorkspaceMembership();
    const from = await otherClient(membership.tenantId, 'from');
    const to = await otherClient(membership.tenantId, 'to');
    const old = await create(membership, from, 'old');
    for (let start = 0; start < BLOCK_SIZE; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, BLOCK_SIZE - start) }, (_, index) =>
          create(membership, to, `t${start + index}`),
        ),
      );
    }
    await patchSecret(services, membership, old.id, {
      attributes: { credentials: { api_key: 'moved' } },
      authClientId: to,
    });

    const filter = { authClientId: to };
    const { ordered, pages } = await offsetPages(membership.workspaceId, filter, BLOCK_SIZE - 2);
    expect(ordered).toHaveLength(BLOCK_SIZE + 1);
    expect(ordered[0]).toBe(old.id);
    expect((await services.secrets.list(membership.workspaceId, filter, { offset: 0, limit: 1 })).total).toBe(
      BLOCK_SIZE + 1,
    );
    // Offset BLOCK_SIZE must be the newest secret alone; it answers the moved (oldest) secret and its successors.
    for (const page of pages)
      expect({ offset: page.offset, ids: page.got }).toEqual({ offset: page.offset, ids: page.want });
  }, 120_000);
});

describe('cascade delete', () => {
  test('does not delete a secret that was moved to another auth-client after the cascade listed it', async () => {
    // On AWS the by-auth-client index lags, which widens this window to the index's lag; here the
    // PATCH is placed between the cascade's index read and its deletes.
    const membership = await newWorkspaceMembership();
    const doomed = await otherClient(membership.tenantId, 'doomed');
    const keeper = await otherClient(membership.tenantId, 'keeper');
    const mover = await create(membership, doomed, 'mover');
    const stays = await create(membership, doomed, 'stays');

    let moved = false;
    const real = services.secrets;
    const secrets: SecretRepository = Object.create(real);
    secrets.listKeysByAuthClient = async (authClientId, max) => {
      const listed = await real.listKeysByAuthClient(authClientId, max);
      if (!moved) {
        moved = true;
        await patchSecret(services, membership, mover.id, {
          attributes: { credentials: { api_key: 'moved away' } },
          authClientId: keeper,
        });
      }
      return listed;
    };

    await deleteAuthClient({ ...services, secrets }, membership.tenantId, doomed, true);

    expect(await services.secrets.get(membership.workspaceId, stays.id)).toBeUndefined();
    // The moved secret belongs to `keeper` now: the cascade of `doomed` must leave it alone.
    const after = await services.secrets.get(membership.workspaceId, mover.id);
    expect(after?.authClientId).toBe(keeper);
    expect(await walk(membership.workspaceId, { authClientId: keeper })).toEqual([mover.id]);
  }, 60_000);
});

describe('secrets stored before lists were counted (no listBlocks, not in the usage count)', () => {
  test('a PATCH then a delete of one must not let the auth-client go while a counted secret uses it', async () => {
    const membership = await newWorkspaceMembership();
    const client = await otherClient(membership.tenantId, 'shared');
    const counted = await create(membership, client, 'counted');
    // As the store wrote secrets before this change: the item only, no list counts, no usage.
    const made = await create(membership, client, 'legacy');
    const template = await services.secrets.get(membership.workspaceId, made.id);
    if (!template) throw new Error('fixture secret missing');
    await deleteSecret(services, membership, template.id);
    const { listBlocks: _blocks, ...legacy } = template;
    await services.table.put(toItem(legacy));

    // A rename (same auth-client) takes the move path, counts the secret into the lists, but not
    // into its auth-client's usage; the delete then takes one usage away that it never added.
    await patchSecret(services, membership, legacy.id, { attributes: { name: 'renamed' } });
    await deleteSecret(services, membership, legacy.id);

    await expect(deleteAuthClient(services, membership.tenantId, client, false)).rejects.toBeInstanceOf(
      ConflictError,
    );
    // Otherwise `counted` is an orphan: its auth-client is gone.
    expect(await services.secrets.get(membership.workspaceId, counted.id)).toBeDefined();
    expect(await services.authClients.get(membership.tenantId, client)).toBeDefined();
  }, 60_000);
});
