import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../../lib/config';
import { DecryptionError, type DataKeyProvider, type EncryptionContext } from '../../lib/crypto/dataKeys';
import { Envelope } from '../../lib/crypto/envelope';
import { LocalDataKeyProvider } from '../../lib/crypto/localDataKeys';
import { addMember, createWorkspace } from '../../lib/directory/admin';
import { authenticate } from '../../lib/auth/authenticate';
import { readPresentedCredentials } from '../../lib/auth/credentials';
import { ConcurrentModificationError, NotFoundError } from '../../lib/errors';
import type { Membership, SecretRecord } from '../../lib/model';
import {
  createSecret,
  deleteSecret,
  getSecret,
  listSecrets,
  patchSecret,
  type SecretList,
} from '../../lib/secrets/useCases';
import { createServices, type Services } from '../../lib/services';
import { keys, type SecretListFilter } from '../../lib/store/keys';
import { ConditionFailedError } from '../../lib/store/table';
import { LOCAL_CREDENTIALS } from '../../scripts/localStack';
import {
  membershipOf,
  createMember,
  createWorld,
  oauth2Credentials,
  type TestUser,
  type World,
} from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';

interface SentCommand {
  readonly name: string;
  readonly input: Record<string, unknown>;
  /** For a Query: the attribute names of each item it returned. */
  itemAttributes?: string[][];
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
        name: String(context.commandName),
        input: args.input as Record<string, unknown>,
      };
      sent.push(command);
      const result = await next(args);
      const items = (result.output as { Items?: Record<string, unknown>[] }).Items;
      if (items) command.itemAttributes = items.map((item) => Object.keys(item).sort());
      return result;
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  return { services: createServices(readConfig(stack.env), client), sent, client };
}

/** A KMS stand-in that counts its calls, over the stack's local key. */
function countingProvider(keyFile: string) {
  const inner = new LocalDataKeyProvider(keyFile);
  const calls = { generate: 0, unwrap: 0 };
  const provider: DataKeyProvider = {
    generateDataKey: (context: EncryptionContext) => {
      calls.generate++;
      return inner.generateDataKey(context);
    },
    unwrapDataKey: (wrapped: Buffer, context: EncryptionContext) => {
      calls.unwrap++;
      return inner.unwrapDataKey(wrapped, context);
    },
  };
  return { provider, calls };
}

const commandNames = (sent: SentCommand[]) => sent.map((command) => command.name);
const byCreation = (a: SecretRecord, b: SecretRecord) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
const ids = (secrets: ReadonlyArray<{ id: string }>) => secrets.map((secret) => secret.id);

let stack: TestStack;
let recording: ReturnType<typeof recordingServices>;
let services: Services;
let world: World;
let adminInA: Membership;
/** A second workspace of the same tenant: same admin, same auth-clients. */
let workspaceB: string;
let adminInB: Membership;
let bob: TestUser;
let bobInA: Membership;

function localKeyFile(): string {
  const keyFile = stack.env.LOCAL_KEY_FILE;
  if (!keyFile) throw new Error('the test stack has no local key file');
  return keyFile;
}

/** Creates a secret through the use case, as POST does, and returns the stored record. */
async function newSecret(
  membership: Membership,
  options: { name?: string; authClientId?: string; at?: Date; credentials?: Record<string, unknown> } = {},
): Promise<SecretRecord> {
  const authClientId = options.authClientId ?? world.otherClientId;
  const created = await createSecret(
    services,
    membership,
    {
      authClientId,
      attributes: {
        name: options.name ?? 'secret',
        state: 'ready',
        error: null,
        credentials: options.credentials ?? { api_key: `key-${Math.random()}` },
      },
    },
    options.at,
  );
  const record = await services.secrets.get(membership.workspaceId, created.id);
  if (!record) throw new Error('the created secret was not stored');
  return record;
}

beforeAll(async () => {
  stack = await startTestStack();
  recording = recordingServices(stack);
  services = stack.services;
  world = await createWorld(services);
  adminInA = await membershipOf(services, world.workspaceId, world.admin.id);
  ({ id: workspaceB } = await createWorkspace(services, world.tenantId, 'workspace B'));
  await addMember(services, workspaceB, world.admin.id, { role: 'admin' });
  adminInB = await membershipOf(services, workspaceB, world.admin.id);
  bob = await createMember(services, world.workspaceId, { role: 'editor' });
  bobInA = await membershipOf(services, world.workspaceId, bob.id);
});

afterAll(async () => {
  recording?.client.destroy();
  await stack?.stop();
});

beforeEach(() => {
  recording.sent.length = 0;
});

describe('listing a workspace', () => {
  /** Workspace A's secrets in the order the API promises. */
  let expected: SecretRecord[];
  const matching = (filter: SecretListFilter) =>
    expected.filter(
      (secret) =>
        (filter.userId === undefined || secret.userId === filter.userId) &&
        (filter.authClientId === undefined || secret.authClientId === filter.authClientId) &&
        (filter.state === undefined || secret.state === filter.state),
    );

  beforeAll(async () => {
    const base = Date.UTC(2030, 0, 1);
    // Twelve secrets over eight milliseconds: groups share a millisecond, so the id breaks the tie.
    const plan = [0, 0, 0, 1, 2, 2, 3, 4, 4, 4, 5, 7];
    const created: SecretRecord[] = [];
    for (const [index, offsetMs] of plan.entries()) {
      created.push(
        await newSecret(index % 3 === 0 ? bobInA : adminInA, {
          name: `a-${index}`,
          authClientId: index % 2 === 0 ? world.oauth2ClientId : world.otherClientId,
          credentials: index % 2 === 0 ? oauth2Credentials(`a-${index}`) : { api_key: `a-${index}` },
          at: new Date(base + offsetMs),
        }),
      );
    }
    // The same user and auth-clients hold secrets in workspace B, created in between.
    for (const [index, offsetMs] of [0, 3, 6].entries()) {
      await newSecret(adminInB, {
        name: `b-${index}`,
        authClientId: index % 2 === 0 ? world.oauth2ClientId : world.otherClientId,
        credentials: index % 2 === 0 ? oauth2Credentials(`b-${index}`) : { api_key: `b-${index}` },
        at: new Date(base + offsetMs),
      });
    }
    expected = [...created].sort(byCreation);
  });

  test('lists in creation order with the id as tiebreak, and counts them all', async () => {
    // Act
    const page = await services.secrets.list(world.workspaceId, {}, { offset: 0, limit: 100 });

    // Assess
    expect(page.total).toBe(12);
    expect(ids(page.secrets)).toEqual(ids(expected));
    expect(page.secrets.every((secret) => secret.workspaceId === world.workspaceId)).toBe(true);
  });

  test('offset and limit slice the list, and an offset past the end gives an empty page with the total', async () => {
    // Prepare
    const cases = [1, 5, 12, 100].flatMap((limit) =>
      [0, 1, 4, 5, 10, 11, 12, 13, 1000].map((offset) => ({ offset, limit })),
    );

    // Act
    const pages = await Promise.all(
      cases.map(({ offset, limit }) =>
        services.secrets.list(world.workspaceId, {}, { offset: offset, limit: limit }),
      ),
    );

    // Assess
    for (const [index, { offset, limit }] of cases.entries()) {
      expect({ offset, limit, total: pages[index]?.total, ids: ids(pages[index]?.secrets ?? []) }).toEqual({
        offset,
        limit,
        total: 12,
        ids: ids(expected.slice(offset, offset + limit)),
      });
    }
  });

  test.each([
    ['filter[user]', () => ({ userId: bob.id })],
    ['filter[auth_client]', () => ({ authClientId: world.oauth2ClientId })],
    [
      'filter[user] and filter[auth_client]',
      () => ({ userId: world.admin.id, authClientId: world.otherClientId }),
    ],
  ])('%s gives the matching secrets in order, with their total', async (_name, makeFilter) => {
    // Prepare
    const filter: SecretListFilter = makeFilter();
    const wanted = matching(filter);

    // Act
    const all = await services.secrets.list(world.workspaceId, filter, { offset: 0, limit: 100 });
    const second = await services.secrets.list(world.workspaceId, filter, { offset: 1, limit: 2 });

    // Assess
    expect(wanted.length).toBeGreaterThan(1);
    expect(wanted.length).toBeLessThan(12);
    expect(all.total).toBe(wanted.length);
    expect(ids(all.secrets)).toEqual(ids(wanted));
    expect(second.total).toBe(wanted.length);
    expect(ids(second.secrets)).toEqual(ids(wanted.slice(1, 3)));
  });

  test('filters never reach into another workspace of the tenant, nor list one workspace from another', async () => {
    // Prepare
    const filters: SecretListFilter[] = [
      { userId: world.admin.id },
      { authClientId: world.oauth2ClientId },
      { authClientId: world.otherClientId },
      { userId: world.admin.id, authClientId: world.oauth2ClientId },
    ];

    // Act
    const inA = await Promise.all(
      filters.map((filter) => services.secrets.list(world.workspaceId, filter, { offset: 0, limit: 100 })),
    );
    const inB = await Promise.all(
      filters.map((filter) => services.secrets.list(workspaceB, filter, { offset: 0, limit: 100 })),
    );
    const bobInB = await services.secrets.list(workspaceB, { userId: bob.id }, { offset: 0, limit: 100 });

    // Assess
    for (const [index, page] of inA.entries()) {
      expect(ids(page.secrets)).toEqual(ids(matching(filters[index] ?? {})));
      expect(page.total).toBe(page.secrets.length);
    }
    for (const page of inB) {
      expect(page.secrets.every((secret) => secret.workspaceId === workspaceB)).toBe(true);
      expect(page.secrets.map((secret) => secret.name).every((name) => name.startsWith('b-'))).toBe(true);
      expect(page.total).toBe(page.secrets.length);
    }
    expect(bobInB).toEqual({ secrets: [], total: 0, more: false });
  });

  test('a filter that matches nothing gives an empty page and total 0', async () => {
    // Act
    const page = await services.secrets.list(
      world.workspaceId,
      { userId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b' },
      { offset: 0, limit: 10 },
    );

    // Assess
    expect(page).toEqual({ secrets: [], total: 0, more: false });
  });

  test.each([
    ['no filter', () => ({})],
    ['filter[user]', () => ({ userId: world.admin.id })],
    ['filter[auth_client]', () => ({ authClientId: world.oauth2ClientId })],
    ['both filters', () => ({ userId: world.admin.id, authClientId: world.oauth2ClientId })],
    ['filter[state]', () => ({ state: 'ready' as const })],
    [
      'all three filters',
      () => ({ userId: world.admin.id, authClientId: world.oauth2ClientId, state: 'ready' as const }),
    ],
  ])(
    'a page with %s reads the list counter, its block counts, key-only index entries from the offset on (one Query per state partition), then one BatchGetItem',
    async (_name, makeFilter) => {
      // Prepare
      const filter: SecretListFilter = makeFilter();
      const total = matching(filter).length;

      // Act
      const page = await recording.services.secrets.list(world.workspaceId, filter, { offset: 1, limit: 2 });

      // Assess
      const names = commandNames(recording.sent);
      expect(page.secrets).toHaveLength(2);
      expect(page.total).toBe(total);
      expect(page.more).toBe(total > 3);
      // Without filter[state], the list's members are in one partition per state (see statePartition).
      const partitions = filter.state === undefined ? 2 : 1;
      expect(names.sort()).toEqual([
        'BatchGetItemCommand',
        'GetItemCommand',
        ...Array<string>(1 + partitions).fill('QueryCommand'),
      ]);
      const queries = recording.sent.filter((command) => command.name === 'QueryCommand');
      const indexQueries = queries.filter((query) => query.input.IndexName !== undefined);
      expect(indexQueries).toHaveLength(partitions);
      // Only keys are read while skipping: no credentials, no names; and no more than the page
      // needs (offset + limit + 1 to tell whether more follow), not the whole list.
      const entries = indexQueries.flatMap((query) => query.itemAttributes ?? []);
      for (const attributes of entries) {
        expect(attributes).not.toContain('sealedCredentials');
        expect(attributes).not.toContain('name');
        expect(attributes.length).toBeLessThanOrEqual(4);
      }
      expect(entries).toHaveLength(Math.min(total, 4));
      const batch = recording.sent.find((command) => command.name === 'BatchGetItemCommand');
      const requested = batch?.input.RequestItems as Record<string, { Keys: unknown[] }>;
      expect(requested[stack.tableName]?.Keys).toHaveLength(2);
    },
  );

  test('a page past the end reads the counter and the block counts, and no index entry or item', async () => {
    // Act
    const page = await recording.services.secrets.list(world.workspaceId, {}, { offset: 500, limit: 10 });

    // Assess
    expect(page).toEqual({ secrets: [], total: 12, more: false });
    // The list's counter, and its block counts (which say the offset is past the end): no index read.
    expect(commandNames(recording.sent).sort()).toEqual(['GetItemCommand', 'QueryCommand']);
    expect(
      recording.sent.find((command) => command.name === 'QueryCommand')?.input.IndexName,
    ).toBeUndefined();
  });

  test('listSecrets opens each secret to its own credentials', async () => {
    // Act
    const list: SecretList = await listSecrets(services, adminInA, {}, { offset: 0, limit: 100 });

    // Assess
    expect(list.total).toBe(12);
    expect(list.resources.map((resource) => resource.attributes.name)).toEqual(
      expected.map((secret) => secret.name),
    );
    for (const resource of list.resources) {
      const index = resource.attributes.name.slice(2);
      expect(resource.attributes.credentials).toEqual(
        Number(index) % 2 === 0 ? oauth2Credentials(`a-${index}`) : { api_key: `a-${index}` },
      );
    }
  });
});

describe('KMS calls per request', () => {
  let workspaceC: string;
  let adminInC: Membership;

  beforeAll(async () => {
    ({ id: workspaceC } = await createWorkspace(services, world.tenantId, 'workspace C'));
    await addMember(services, workspaceC, world.admin.id, { role: 'admin' });
    adminInC = await membershipOf(services, workspaceC, world.admin.id);
    for (let index = 0; index < 100; index++) {
      await newSecret(adminInC, { name: `c-${index}`, credentials: { api_key: `c-${index}` } });
    }
  });

  const withProvider = (provider: DataKeyProvider) => ({
    ...services,
    envelope: new Envelope(provider, { dataKeyMaxAgeMs: 300_000 }),
  });

  test('creating a secret in a cold container makes one data-key call', async () => {
    // Prepare
    const { provider, calls } = countingProvider(localKeyFile());

    // Act
    await createSecret(withProvider(provider), adminInC, {
      authClientId: world.otherClientId,
      attributes: { name: 'cold create', state: 'ready', error: null, credentials: { api_key: 'x' } },
    });

    // Assess
    expect(calls.generate + calls.unwrap).toBeLessThanOrEqual(1);
  });

  test('a warm list page of 100 secrets and a warm get make no data-key call', async () => {
    // Prepare
    const { provider, calls } = countingProvider(localKeyFile());
    const deps = withProvider(provider);
    const warmUp = await services.secrets.list(workspaceC, {}, { offset: 0, limit: 1 });
    await getSecret(deps, adminInC, warmUp.secrets[0]?.id ?? '');
    Object.assign(calls, { generate: 0, unwrap: 0 });

    // Act
    const page = await listSecrets(deps, adminInC, {}, { offset: 0, limit: 100 });
    const one = await getSecret(deps, adminInC, page.resources[57]?.id ?? '');

    // Assess
    expect(page.resources).toHaveLength(100);
    expect(one.attributes.credentials).toEqual(page.resources[57]?.attributes.credentials);
    expect(calls).toEqual({ generate: 0, unwrap: 0 });
  });

  test('a cold list page of 100 secrets sealed under one data key unwraps it once, not once per item', async () => {
    // Prepare
    const { provider, calls } = countingProvider(localKeyFile());

    // Act
    const page = await listSecrets(withProvider(provider), adminInC, {}, { offset: 0, limit: 100 });

    // Assess
    expect(page.resources).toHaveLength(100);
    expect(calls.unwrap).toBe(1);
  });
});

describe('a ciphertext moved onto another item', () => {
  // Workspaces of their own: the items these tests corrupt must not break the other tests' lists.
  let inD: Membership;
  let inE: Membership;

  beforeAll(async () => {
    const [{ id: d }, { id: e }] = [
      await createWorkspace(services, world.tenantId, 'workspace D'),
      await createWorkspace(services, world.tenantId, 'workspace E'),
    ];
    await addMember(services, d, world.admin.id, { role: 'admin' });
    await addMember(services, e, world.admin.id, { role: 'admin' });
    [inD, inE] = [
      await membershipOf(services, d, world.admin.id),
      await membershipOf(services, e, world.admin.id),
    ];
  });

  async function copySealedCredentials(from: SecretRecord, to: SecretRecord) {
    const { Item } = await stack.dynamoDb.send(
      new GetItemCommand({ TableName: stack.tableName, Key: rawKey(from) }),
    );
    await stack.dynamoDb.send(
      new UpdateItemCommand({
        TableName: stack.tableName,
        Key: rawKey(to),
        UpdateExpression: 'SET sealedCredentials = :sealed',
        ExpressionAttributeValues: { ':sealed': Item?.sealedCredentials ?? { S: '' } },
      }),
    );
  }
  const rawKey = (secret: SecretRecord) => {
    const { pk, sk } = keys.secret(secret.workspaceId, secret.id);
    return { pk: { S: pk }, sk: { S: sk } };
  };

  test('fails to decrypt on another secret of the same workspace', async () => {
    // Prepare
    const source = await newSecret(inD, { credentials: { api_key: 'source' } });
    const target = await newSecret(inD, { credentials: { api_key: 'target' } });
    await copySealedCredentials(source, target);

    // Act
    const read = getSecret(services, inD, target.id);

    // Assess
    await expect(read).rejects.toBeInstanceOf(DecryptionError);
    await expect(getSecret(services, inD, source.id)).resolves.toMatchObject({
      attributes: { credentials: { api_key: 'source' } },
    });
  });

  test('fails to decrypt on a secret of another workspace, warm or cold', async () => {
    // Prepare
    const source = await newSecret(inD, { credentials: { api_key: 'source' } });
    const target = await newSecret(inE, { credentials: { api_key: 'target' } });
    await copySealedCredentials(source, target);
    const cold = {
      ...services,
      envelope: new Envelope(new LocalDataKeyProvider(localKeyFile()), { dataKeyMaxAgeMs: 1 }),
    };

    // Act (settled together: a rejection awaited only after another await would count as unhandled)
    const [warmRead, coldRead] = await Promise.allSettled([
      getSecret(services, inE, target.id),
      getSecret(cold, inE, target.id),
    ]);

    // Assess
    expect(warmRead).toEqual({ status: 'rejected', reason: expect.any(DecryptionError) });
    expect(coldRead).toEqual({ status: 'rejected', reason: expect.any(DecryptionError) });
  });
});

describe('conditional writes', () => {
  test('SecretStore.replace with a stale version throws ConditionFailedError and changes nothing', async () => {
    // Prepare
    const secret = await newSecret(adminInA, { name: 'v1' });
    await services.secrets.replace({ ...secret, name: 'v2', version: 2 }, 1);

    // Act
    const stale = services.secrets.replace({ ...secret, name: 'stale', version: 2 }, 1);

    // Assess
    await expect(stale).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(services.secrets.get(world.workspaceId, secret.id)).resolves.toMatchObject({
      name: 'v2',
      version: 2,
    });
  });

  test('SecretStore.replace does not bring back a deleted secret, and create does not overwrite', async () => {
    // Prepare
    const secret = await newSecret(adminInA);
    const other = await newSecret(adminInA, { name: 'original' });
    await services.secrets.delete(world.workspaceId, secret.id);

    // Act (settled together, as above)
    const [replaced, recreated] = await Promise.allSettled([
      services.secrets.replace({ ...secret, version: 2 }, 1),
      services.secrets.create({ ...other, name: 'overwritten' }),
    ]);

    // Assess
    expect(replaced).toEqual({ status: 'rejected', reason: expect.any(ConditionFailedError) });
    expect(recreated).toEqual({ status: 'rejected', reason: expect.any(ConditionFailedError) });
    await expect(services.secrets.get(world.workspaceId, secret.id)).resolves.toBeUndefined();
    await expect(services.secrets.get(world.workspaceId, other.id)).resolves.toMatchObject({
      name: 'original',
    });
  });

  test('ten concurrent PATCHes of the name: each succeeds or answers 409, and none is lost', async () => {
    // Prepare
    const secret = await newSecret(adminInA, { name: 'start', credentials: { api_key: 'kept' } });
    const names = Array.from({ length: 10 }, (_, index) => `name-${index}`);

    // Act
    const outcomes = await Promise.allSettled(
      names.map((name) => patchSecret(services, adminInA, secret.id, { attributes: { name } })),
    );

    // Assess
    const fulfilled = names.filter((_, index) => outcomes[index]?.status === 'fulfilled');
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrentModificationError);
    }
    const final = await services.secrets.get(world.workspaceId, secret.id);
    expect(fulfilled.length).toBeGreaterThan(0);
    // Every successful write moved the version by one: two writes on the same version would be a lost update.
    expect(final?.version).toBe(1 + fulfilled.length);
    expect(fulfilled).toContain(final?.name);
    await expect(getSecret(services, adminInA, secret.id)).resolves.toMatchObject({
      attributes: { credentials: { api_key: 'kept' } },
    });
  });

  test('concurrent PATCHes of different attributes all land, or answer 409', async () => {
    for (let round = 0; round < 5; round++) {
      // Prepare
      const secret = await newSecret(adminInA, {
        name: 'start',
        authClientId: world.oauth2ClientId,
        credentials: oauth2Credentials('old'),
      });
      const patches = [
        { attributes: { name: `renamed-${round}` } },
        { attributes: { state: 'error' as const } },
        { attributes: { error: `provider said no ${round}` } },
        { attributes: { credentials: oauth2Credentials(`new-${round}`) } },
      ];

      // Act
      const outcomes = await Promise.allSettled(
        patches.map((input) => patchSecret(services, adminInA, secret.id, input)),
      );

      // Assess
      const landed = outcomes.map((outcome) => outcome.status === 'fulfilled');
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrentModificationError);
      }
      const final = await getSecret(services, adminInA, secret.id);
      const record = await services.secrets.get(world.workspaceId, secret.id);
      expect(record?.version).toBe(1 + landed.filter(Boolean).length);
      expect(final.attributes.name).toBe(landed[0] ? `renamed-${round}` : 'start');
      expect(final.attributes.state).toBe(landed[1] ? 'error' : 'ready');
      expect(record?.error).toBe(landed[2] ? `provider said no ${round}` : null);
      expect(final.attributes.credentials).toEqual(oauth2Credentials(landed[3] ? `new-${round}` : 'old'));
    }
  });
});

describe('deleting', () => {
  test('a secret that does not exist is NotFoundError; the store says ConditionFailedError', async () => {
    // Prepare
    const missing = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

    // Act (settled together: a rejection awaited only after another await would count as unhandled)
    const [viaUseCase, viaStore] = await Promise.allSettled([
      deleteSecret(services, adminInA, missing),
      services.secrets.delete(world.workspaceId, missing),
    ]);

    // Assess
    expect(viaUseCase).toEqual({ status: 'rejected', reason: expect.any(NotFoundError) });
    expect(viaStore).toEqual({ status: 'rejected', reason: expect.any(ConditionFailedError) });
  });

  test('a second delete, a malformed id and a secret of another workspace are NotFoundError', async () => {
    // Prepare
    const deleted = await newSecret(adminInA);
    await deleteSecret(services, adminInA, deleted.id);
    const elsewhere = await newSecret(adminInB, { name: 'in B' });

    // Act
    const results = [
      deleteSecret(services, adminInA, deleted.id),
      deleteSecret(services, adminInA, 'not-an-id'),
      deleteSecret(services, adminInA, elsewhere.id),
      getSecret(services, adminInA, elsewhere.id),
      patchSecret(services, adminInA, elsewhere.id, { attributes: { name: 'hijacked' } }),
    ];

    // Assess
    for (const result of results) await expect(result).rejects.toBeInstanceOf(NotFoundError);
    await expect(services.secrets.get(workspaceB, elsewhere.id)).resolves.toMatchObject({ name: 'in B' });
  });
});

describe('no Scan on any request path', () => {
  test('create, get, patch, list with every filter, delete and the directory reads send no Scan', async () => {
    // Prepare
    const deps = recording.services;
    const filters: SecretListFilter[] = [
      {},
      { userId: world.admin.id },
      { authClientId: world.otherClientId },
      { userId: world.admin.id, authClientId: world.otherClientId },
    ];
    const presented = readPresentedCredentials({ 'x-auth-token': world.admin.apiKey });

    // Act
    const created = await createSecret(deps, adminInA, {
      authClientId: world.otherClientId,
      attributes: { name: 'scan check', state: 'ready', error: null, credentials: { api_key: 'x' } },
    });
    await getSecret(deps, adminInA, created.id);
    await patchSecret(deps, adminInA, created.id, { attributes: { name: 'scan check 2' } });
    for (const filter of filters) await listSecrets(deps, adminInA, filter, { offset: 0, limit: 10 });
    await authenticate(deps.directory, presented, { workspaceId: world.workspaceId });
    await deps.directory.listMemberships(world.admin.id);
    await deps.directory.getWorkspace(world.workspaceId);
    await deps.directory.getUser(world.admin.id);
    await deps.authClients.get(world.tenantId, world.otherClientId);
    await deleteSecret(deps, adminInA, created.id);

    // Assess
    const names = new Set(commandNames(recording.sent));
    expect(names).not.toContain('ScanCommand');
    const reads = ['BatchGetItemCommand', 'GetItemCommand', 'QueryCommand'];
    const writes = ['DeleteItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'TransactWriteItemsCommand'];
    expect([...names].filter((name) => !reads.includes(name) && !writes.includes(name))).toEqual([]);
    for (const read of reads) expect(names).toContain(read);
  });

  test('no module under lib/ or functions/ can send a Scan', () => {
    // Prepare
    const sources = ['lib', 'functions'].flatMap((directory) =>
      sourceFiles(join(__dirname, '..', '..', directory)),
    );

    // Act
    const scanning = sources.filter((file) => /\bScan(Command)?\b|\bscan\(/.test(readFileSync(file, 'utf8')));

    // Assess
    expect(sources.length).toBeGreaterThan(10);
    expect(scanning).toEqual([]);
  });
});

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}
