/**
 * The v1 (Barbican) list on counted lists, against DynamoDB Local: exact totals under concurrent
 * creates and deletes, pages identical to walking the whole list index at every kind of offset,
 * the walk whenever a secret can expire, and a page whose cost does not grow with the workspace.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readConfig } from '../../lib/config';
import { instantFromDate } from '../../lib/barbican/isoTime';
import { applyListQuery, readListQuery } from '../../lib/barbican/listQuery';
import type { NewSecret } from '../../lib/barbican/input';
import { createV1Secret, deleteV1Secret, listV1Secrets } from '../../lib/barbican/useCases';
import { createWorkspace, addMember } from '../../lib/directory/admin';
import { NotFoundError } from '../../lib/errors';
import type { Membership, V1SecretListEntry } from '../../lib/model';
import { createServices, type Services } from '../../lib/services';
import { INDEX, keys, LIST_BLOCK_PREFIX, v1SecretListName } from '../../lib/store/keys';
import { BLOCK_SIZE } from '../support/lists';
import { Table } from '../../lib/store/table';
import { LOCAL_CREDENTIALS } from '../../scripts/localStack';
import { createWorld, type World } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';

jest.setTimeout(120_000);

interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
  /** How many items the call returned (Query items, BatchGetItem responses). */
  items: number;
}

/** Services exactly like a handler's, on a DynamoDB client that records every command it sends. */
function recordingServices(stack: TestStack) {
  const client = new DynamoDBClient({
    endpoint: stack.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const sent: SentCommand[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command: SentCommand = {
        name: String(context.commandName).replace(/Command$/, ''),
        input: args.input as Record<string, unknown>,
        items: 0,
      };
      sent.push(command);
      const result = await next(args);
      const output = result.output as { Items?: unknown[]; Responses?: Record<string, unknown[]> };
      command.items =
        (output.Items?.length ?? 0) +
        Object.values(output.Responses ?? {}).reduce((sum, items) => sum + items.length, 0);
      return result;
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { services: createServices(readConfig(stack.env), client), sent, client };
}

let stack: TestStack;
let services: Services;
let recording: ReturnType<typeof recordingServices>;
let world: World;

beforeAll(async () => {
  stack = await startTestStack();
  services = stack.services;
  recording = recordingServices(stack);
  world = await createWorld(services);
});

afterAll(async () => {
  recording?.client.destroy();
  await stack?.stop();
});

/** A new workspace of the world's tenant, and the admin's membership in it. */
async function newWorkspace(name: string): Promise<Membership> {
  const { id } = await createWorkspace(services, world.tenantId, name);
  await addMember(services, id, world.admin.id, { role: 'admin' });
  const membership = await services.directory.getMembership(id, world.admin.id);
  if (!membership) throw new Error('no membership');
  return membership;
}

function newSecret(name: string, fields: Partial<NewSecret> = {}): NewSecret {
  return {
    name,
    secretType: 'opaque',
    algorithm: null,
    bitLength: null,
    mode: null,
    expiration: null,
    payload: null,
    ...fields,
  };
}

async function createMany(membership: Membership, count: number, concurrency: number): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += concurrency) {
    const batch = Array.from({ length: Math.min(concurrency, count - start) }, (_, index) =>
      createV1Secret(services, membership, newSecret(`s${start + index}`)),
    );
    ids.push(...(await Promise.all(batch)).map((secret) => secret.id));
  }
  return ids;
}

const list = (membership: Membership, query: string, now?: Date, on: Services = services) =>
  listV1Secrets(on, membership, readListQuery(new URLSearchParams(query)), now);

/** What the list was before counted lists: every index entry, filtered, cut and sorted in memory. */
async function walked(membership: Membership, query: string, now = new Date()) {
  const parsed = readListQuery(new URLSearchParams(query));
  const entries = await services.v1Secrets.listEntries(membership.workspaceId);
  const matching = applyListQuery(entries, parsed, instantFromDate(now));
  const { offset, limit } = parsed.paging;
  const secrets =
    offset < BigInt(matching.length) ? matching.slice(Number(offset), Number(offset) + limit) : [];
  return { secrets, total: matching.length };
}

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

const ids = (secrets: readonly V1SecretListEntry[]) => secrets.map((secret) => secret.id);

/** Where the blocks of a workspace's v1 list start, as offsets, and how many they count (read raw). */
async function blockOffsets(workspaceId: string): Promise<{ offsets: number[]; counted: number }> {
  const table = new Table(DynamoDBDocumentClient.from(stack.dynamoDb), stack.tableName);
  const items = await table.queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: {
      ':pk': keys.listTotal(v1SecretListName(workspaceId)).pk,
      ':prefix': LIST_BLOCK_PREFIX,
    },
  });
  const offsets: number[] = [];
  let before = 0;
  for (const item of items) {
    offsets.push(before);
    before += Number(item.n);
  }
  return { offsets, counted: before };
}

/** The v1 index Queries of the recorded calls: unbounded ones walk the whole list. */
const indexQueries = (sent: readonly SentCommand[]) =>
  sent.filter(
    (command) => command.name === 'Query' && command.input.IndexName === INDEX.v1SecretsByWorkspace.name,
  );

describe('totals', () => {
  test('30 concurrent creates, then 10 concurrent deletes, then both at once: the total stays exact', async () => {
    // Prepare
    const membership = await newWorkspace('concurrent');

    // Act
    const created = await Promise.all(
      Array.from({ length: 30 }, (_, index) => createV1Secret(services, membership, newSecret(`c${index}`))),
    );
    const afterCreates = await list(membership, 'limit=100');
    await Promise.all(created.slice(0, 10).map((secret) => deleteV1Secret(services, membership, secret.id)));
    const afterDeletes = await list(membership, 'limit=100');
    const walkedAfterDeletes = await walked(membership, 'limit=100');
    const mixed = await Promise.all([
      ...created.slice(10, 20).map((secret) => deleteV1Secret(services, membership, secret.id)),
      ...Array.from({ length: 10 }, (_, index) =>
        createV1Secret(services, membership, newSecret(`m${index}`)),
      ),
    ]);
    const afterMixed = await list(membership, 'limit=100');
    const walkedAfterMixed = await walked(membership, 'limit=100');

    // Assess
    expect(afterCreates.total).toBe(30);
    expect(ids(afterCreates.secrets)).toEqual(ids(created).sort());
    expect(afterDeletes.total).toBe(20);
    expect(afterDeletes).toEqual(walkedAfterDeletes);
    expect(mixed).toHaveLength(20);
    expect(afterMixed.total).toBe(20);
    expect(afterMixed).toEqual(walkedAfterMixed);
    expect(await services.v1Secrets.listCounts(membership.workspaceId)).toEqual({ all: 20, expiring: 0 });
  });

  test('a secret deleted twice at once is deleted once: one 404, and the total counts it out once', async () => {
    // Prepare
    const membership = await newWorkspace('double delete');
    const [first, second] = await Promise.all([
      createV1Secret(services, membership, newSecret('a')),
      createV1Secret(services, membership, newSecret('b')),
    ]);

    // Act
    const outcomes = await Promise.allSettled([
      deleteV1Secret(services, membership, first.id),
      deleteV1Secret(services, membership, first.id),
    ]);

    // Assess
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toEqual({
      status: 'rejected',
      reason: expect.any(NotFoundError),
    });
    expect(await list(membership, '')).toEqual({
      secrets: [expect.objectContaining({ id: second.id })],
      total: 1,
    });
  });
});

/** Two and a half blocks of creates, then deletes (see the paging suite's set-up). */
const PAGING_CREATED = Math.round(2.5 * BLOCK_SIZE);
const PAGING_LEFT = PAGING_CREATED - 4 - (Math.round(1.5 * BLOCK_SIZE) - Math.round(1.4 * BLOCK_SIZE));
/** A workspace of three blocks and a part, and an offset inside its third block. */
const LARGE = Math.round(3.2 * BLOCK_SIZE);
const SKIP = Math.round(2.5 * BLOCK_SIZE);
const LARGE_CONCURRENCY = 10;

describe(`pages of a workspace of ${PAGING_CREATED} secrets, some deleted`, () => {
  let membership: Membership;
  let boundaries: number[];
  let counted: number;

  beforeAll(async () => {
    membership = await newWorkspace('paging');
    const created = await createMany(membership, PAGING_CREATED, Math.max(2, BLOCK_SIZE / 10));
    // Deletes leave blocks uneven: the first of a block, the last, and a run in the middle.
    const deleted = [
      created[0],
      created[BLOCK_SIZE - 1],
      created[BLOCK_SIZE],
      ...created.slice(Math.round(1.4 * BLOCK_SIZE), Math.round(1.5 * BLOCK_SIZE)),
      created[PAGING_CREATED - 1],
    ];
    expect(deleted.length).toBe(PAGING_CREATED - PAGING_LEFT);
    for (const id of deleted) await deleteV1Secret(services, membership, id ?? '');
    ({ offsets: boundaries, counted } = await blockOffsets(membership.workspaceId));
  }, 300_000);

  test('three blocks (a block takes BLOCK_SIZE creates, a few more when they race), counting what is left', () => {
    expect(boundaries).toHaveLength(3);
    expect(counted).toBe(PAGING_LEFT);
  });

  test.each([1, 10, 100])(
    'at every kind of offset, limit %i: the page and total of the full walk',
    async (limit) => {
      // Prepare
      const offsets = [
        0,
        1,
        37,
        ...boundaries.flatMap((start) => [start - 1, start, start + 1]).filter((offset) => offset > 0),
        PAGING_LEFT - 7,
        PAGING_LEFT - 6,
        PAGING_LEFT - 5,
        PAGING_LEFT + 64,
        10_000,
      ];

      for (const offset of offsets) {
        // Act
        recording.sent.length = 0;
        const page = await list(membership, `offset=${offset}&limit=${limit}`, undefined, recording.services);

        // Assess
        expect({ offset, ...page }).toEqual({
          offset,
          ...(await walked(membership, `offset=${offset}&limit=${limit}`)),
        });
        expect(page.total).toBe(PAGING_LEFT);
        // Served from the counts: no Query of the index without a Limit (that is the walk).
        expect(indexQueries(recording.sent).every((command) => command.input.Limit !== undefined)).toBe(true);
      }
    },
  );

  test('an offset past what Barbican counts as an integer, and past the end, is an empty page', async () => {
    // Act
    const page = await list(membership, `offset=${2n ** 63n - 1n}`);

    // Assess
    expect(page).toEqual({ secrets: [], total: PAGING_LEFT });
  });

  test('filters and sorts still walk, and give what they gave', async () => {
    for (const query of [
      'name=s1%25&limit=100',
      'sort=name:desc&offset=5',
      'created=gt:2000-01-01&limit=3',
    ]) {
      // Act
      recording.sent.length = 0;
      const page = await list(membership, query, undefined, recording.services);

      // Assess
      expect(page).toEqual(await walked(membership, query));
      expect(indexQueries(recording.sent).some((command) => command.input.Limit === undefined)).toBe(true);
    }
  });
});

describe('ids made in one order and counted in the other', () => {
  test('a secret whose id was made first but whose write came after the head block filled is paged where its id says', async () => {
    // Prepare: a full head block, and then two creates whose ids were made in the opposite order
    // to their writes, as two Lambdas do when the first is slower to seal its payload.
    const membership = await newWorkspace('out of order');
    const start = Date.now();
    for (let index = 0; index < BLOCK_SIZE - 1; index++) {
      await createV1Secret(services, membership, newSecret(`f${index}`), new Date(start + index));
    }
    const later = await createV1Secret(services, membership, newSecret('later'), new Date(start + 1_000));
    const earlier = await createV1Secret(services, membership, newSecret('earlier'), new Date(start + 500));

    // Act
    const pages = [];
    for (const offset of [BLOCK_SIZE - 1, BLOCK_SIZE]) {
      const query = `offset=${offset}&limit=5`;
      pages.push({ offset, page: await list(membership, query), reference: await walked(membership, query) });
    }

    // Assess
    expect(pages.map(({ reference }) => ids(reference.secrets))).toEqual([
      [earlier.id, later.id],
      [later.id],
    ]);
    for (const { offset, page, reference } of pages)
      expect({ offset, ...page }).toEqual({ offset, ...reference });
  });
});

describe('secrets that can expire', () => {
  test('switch the workspace to the walk, which leaves them out once expired; deleting them in time switches back', async () => {
    // Prepare
    const membership = await newWorkspace('expiring');
    const now = new Date();
    const kept = await createMany(membership, 5, 5);
    const expiring = await createV1Secret(
      services,
      membership,
      newSecret('expiring', { expiration: instantFromDate(now) + 3_600_000_000n }),
    );
    const later = new Date(now.getTime() + 2 * 3_600_000);

    // Act
    recording.sent.length = 0;
    const before = await list(membership, '', now, recording.services);
    const walkedBefore = indexQueries(recording.sent).some((command) => command.input.Limit === undefined);
    const reference = await walked(membership, '', now);
    const afterExpiry = await list(membership, '', later);
    const refused = await rejection(deleteV1Secret(services, membership, expiring.id, later));
    await deleteV1Secret(services, membership, expiring.id, now);
    recording.sent.length = 0;
    const afterDelete = await list(membership, '', now, recording.services);
    const walkedAfter = indexQueries(recording.sent).some((command) => command.input.Limit === undefined);

    // Assess
    expect(before).toEqual(reference);
    expect(before.total).toBe(6);
    expect(walkedBefore).toBe(true);
    expect(afterExpiry.total).toBe(5);
    expect(ids(afterExpiry.secrets)).toEqual([...kept].sort());
    expect(refused).toBeInstanceOf(NotFoundError);
    expect(await services.v1Secrets.listCounts(membership.workspaceId)).toEqual({ all: 5, expiring: 0 });
    expect(afterDelete).toEqual({ secrets: afterExpiry.secrets, total: 5 });
    expect(walkedAfter).toBe(false);
  });

  test('an expired secret that cannot be deleted keeps the walk, which lists it no more', async () => {
    // Prepare
    const membership = await newWorkspace('expired');
    const now = new Date();
    await createMany(membership, 3, 3);
    const expiring = await createV1Secret(
      services,
      membership,
      newSecret('soon', { expiration: instantFromDate(now) + 1_000_000n }),
    );
    const later = new Date(now.getTime() + 5_000);

    // Act
    const refused = await rejection(deleteV1Secret(services, membership, expiring.id, later));
    const page = await list(membership, 'limit=100', later);

    // Assess
    expect(refused).toBeInstanceOf(NotFoundError);
    expect(page.total).toBe(3);
    expect(ids(page.secrets)).not.toContain(expiring.id);
    expect(await services.v1Secrets.listCounts(membership.workspaceId)).toEqual({ all: 4, expiring: 1 });
  });
});

describe('cost', () => {
  /** The calls and items one list request reads. */
  async function costOf(membership: Membership, query: string) {
    await list(membership, query, undefined, recording.services);
    recording.sent.length = 0;
    const page = await list(membership, query, undefined, recording.services);
    const calls = recording.sent.map((command) => command.name).sort();
    const items = recording.sent.reduce((sum, command) => sum + command.items, 0);
    return { page, calls, items };
  }

  let small: Membership;
  let large: Membership;

  beforeAll(async () => {
    small = await newWorkspace('small');
    large = await newWorkspace('large');
    await createMany(small, 12, 12);
    await createMany(large, LARGE, LARGE_CONCURRENCY);
  }, 300_000);

  test(`a page at offset 0 reads the same in a workspace of 12 and of ${LARGE} secrets: the counts and the page`, async () => {
    // Act
    const inSmall = await costOf(small, 'limit=10');
    const inLarge = await costOf(large, 'limit=10');

    // Assess
    expect(inSmall.page.total).toBe(12);
    expect(inLarge.page.total).toBe(LARGE);
    expect(inLarge.calls).toEqual(['BatchGetItem', 'Query']);
    expect(inSmall.calls).toEqual(inLarge.calls);
    // The list's total (the expiring list has none) and ten index entries.
    expect(inLarge.items).toBe(1 + 10);
    expect(inSmall.items).toBe(inLarge.items);
  });

  test(`skipping ${SKIP} reads block counts and at most one block of entries, not ${SKIP} entries`, async () => {
    // Act
    const skipping = await costOf(large, `offset=${SKIP}&limit=10`);
    const walking = await costOf(large, `offset=${SKIP}&limit=10&name=s%25`);

    // Assess
    expect(skipping.page).toEqual(walking.page);
    expect(skipping.calls).toEqual(['BatchGetItem', 'Query', 'Query']);
    // Two totals, the block counts up to the offset (and one more), a block of entries (a block
    // takes up to LARGE_CONCURRENCY - 1 more creates than BLOCK_SIZE when they race), the page.
    const block = BLOCK_SIZE + LARGE_CONCURRENCY - 1;
    expect(skipping.items).toBeLessThanOrEqual(2 + Math.ceil((SKIP + 1) / BLOCK_SIZE) + 1 + block + 10);
    expect(walking.items).toBeGreaterThanOrEqual(LARGE);
  });
});
