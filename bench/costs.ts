import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keys, secretListNames, secretListQuery } from '../lib/store/keys';
import type { OAuthServer } from '../test/support/oauthServer';
import { idOf, oauth2Credentials, secretsApi, type ListQuery, type SecretsApi } from './api';
import { startHandlerStack, type HandlerStack } from './handlerStack';
import { itemBytes, totalCalls, type CostCounters } from './instrument';
import { calls, num, table, units, type Section, type TargetResult } from './stats';
import { v1Api, type V1Api } from './v1';
import { createBenchWorld, inParallel, mintRefreshTokens, type BenchWorld } from './world';

/**
 * Section 1: what each operation costs on AWS, counted at the SDK boundary on the real handlers
 * (not timed): DynamoDB round trips by operation, the capacity units DynamoDB reports, and
 * data-key provider calls (KMS calls in AWS), in a cold and in a warm container.
 */

type Mode = 'cold' | 'warm';

interface Floor {
  readonly dynamo: Readonly<Record<string, number>>;
  readonly kms: number;
}

interface Row {
  readonly operation: string;
  readonly mode: Mode;
  readonly cost: CostCounters;
  readonly floor: Floor;
}

interface CostCase {
  readonly operation: string;
  /** What the design allows warm and cold (given what `prepare` returned), and why. */
  floor(mode: Mode, prepared: string): Floor;
  readonly why: string;
  /** Runs once in a warm container before the measured call (same kind of request). */
  warmUp(): Promise<unknown>;
  /** Makes what the measured call needs (outside the measurement). */
  prepare(): Promise<string>;
  run(prepared: string): Promise<unknown>;
}

/**
 * The warm floor (no KMS), and the cold one: + 1 BatchGetItem (API key + membership) and `coldKms`.
 * `auditWrites`: the audit trail's PutItems (1 for a read it records, 2 for a change: before it
 * runs and with its answer; lib/http/audit.ts).
 */
const floors =
  (dynamo: Record<string, number>, coldKms: number, auditWrites = 0) =>
  (mode: Mode): Floor => {
    const withAudit =
      auditWrites === 0 ? dynamo : { ...dynamo, PutItem: (dynamo.PutItem ?? 0) + auditWrites };
    return mode === 'warm'
      ? { dynamo: withAudit, kms: 0 }
      : { dynamo: { ...withAudit, BatchGetItem: (withAudit.BatchGetItem ?? 0) + 1 }, kms: coldKms };
  };

/** The population the list cases page through: 300 secrets, by two users across two auth-clients. */
const MIX = [
  { creator: 'admin', client: 'provider', count: 120 },
  { creator: 'admin', client: 'other', count: 60 },
  { creator: 'editor', client: 'provider', count: 60 },
  { creator: 'editor', client: 'other', count: 60 },
] as const;
/** Containers the population is created from: each seals under its own data key, as on AWS. */
const CREATING_CONTAINERS = 3;

export async function costSection(oauth: OAuthServer): Promise<Section> {
  const stack = await startHandlerStack({}, { billTransactions: true });
  try {
    const world = await createBenchWorld(stack.services, oauth);
    const admin = secretsApi(stack, world.workspaceId, world.admin.apiKey);
    const editor = secretsApi(stack, world.workspaceId, world.editor.apiKey);
    const population = await createPopulation(stack, world, admin, editor);
    const tokens = await mintRefreshTokens(oauth, 8);
    const v1 = v1Api(stack, world.workspaceId, world.admin.apiKey);
    const v1Population = await createV1Population(stack, v1);
    const cases = [
      ...listCases(stack, world, admin),
      ...singleCases(world, admin, population, tokens),
      ...v1Cases(v1, v1Population),
    ];
    const rows: Row[] = [];
    for (const costCase of cases) {
      for (const mode of ['warm', 'cold'] as const) {
        const { cost, prepared } = await measure(stack, mode, costCase);
        rows.push({ operation: costCase.operation, mode, cost, floor: costCase.floor(mode, prepared) });
      }
    }
    const bookkeeping = await listBlocksBytes(stack, world, population[0] ?? '');
    return render(rows, cases, population.length, v1Population.length, bookkeeping);
  } finally {
    await stack.stop();
  }
}

async function measure(
  stack: HandlerStack,
  mode: Mode,
  costCase: CostCase,
): Promise<{ cost: CostCounters; prepared: string }> {
  if (mode === 'warm') await costCase.warmUp();
  const prepared = await costCase.prepare();
  if (mode === 'cold') stack.coldStart();
  stack.take();
  await costCase.run(prepared);
  return { cost: stack.take(), prepared };
}

async function createPopulation(
  stack: HandlerStack,
  world: BenchWorld,
  admin: SecretsApi,
  editor: SecretsApi,
): Promise<string[]> {
  const plan = MIX.flatMap(({ creator, client, count }) =>
    Array.from({ length: count }, () => ({ creator, client })),
  );
  // Interleave the kinds, so that every filter's pages mix creation times.
  plan.sort((a, b) => a.creator.localeCompare(b.creator) || a.client.localeCompare(b.client));
  const order = plan.map((entry, index) => ({ entry, key: (index * 7919) % plan.length }));
  order.sort((a, b) => a.key - b.key);
  const ids: string[] = [];
  const perContainer = Math.ceil(order.length / CREATING_CONTAINERS);
  for (const [index, { entry }] of order.entries()) {
    if (index > 0 && index % perContainer === 0) stack.coldStart();
    const api = entry.creator === 'admin' ? admin : editor;
    const answer =
      entry.client === 'provider'
        ? await api.create({ credentials: oauth2Credentials() }, world.providerClientId)
        : await api.create({ credentials: { api_key: `key-${index}` } }, world.otherClientId);
    ids.push(idOf(answer));
  }
  stack.coldStart();
  stack.take();
  return ids;
}

function listCases(stack: HandlerStack, world: BenchWorld, admin: SecretsApi): CostCase[] {
  const filters: Array<[string, ListQuery]> = [
    ['no filter', {}],
    ['filter[user]', { user: world.admin.id }],
    ['filter[auth_client]', { authClient: world.providerClientId }],
    ['both filters', { user: world.admin.id, authClient: world.providerClientId }],
  ];
  return [10, 100].flatMap((limit) =>
    filters.map(([label, filter]): CostCase => {
      const query = { ...filter, limit };
      return {
        operation: `list, limit ${limit}, ${label}`,
        floor: (mode, dataKeys) =>
          floors({ GetItem: 1, Query: STATE_PARTITIONS, BatchGetItem: 1 }, Number(dataKeys), 1)(mode),
        why: 'list',
        warmUp: () => admin.list(query),
        prepare: async () => String(await distinctDataKeys(stack, world, query)),
        run: () => admin.list(query),
      };
    }),
  );
}

/** How many data keys seal the secrets of the page `query` asks for (read outside the count). */
async function distinctDataKeys(stack: HandlerStack, world: BenchWorld, query: ListQuery): Promise<number> {
  const { secrets } = await stack.services.secrets.list(
    world.workspaceId,
    {
      ...(query.user === undefined ? {} : { userId: query.user }),
      ...(query.authClient === undefined ? {} : { authClientId: query.authClient }),
    },
    { offset: query.offset ?? 0, limit: query.limit ?? 10 },
  );
  return new Set(secrets.map((secret) => secret.sealedCredentials.split('.')[1])).size;
}

function singleCases(
  world: BenchWorld,
  admin: SecretsApi,
  population: readonly string[],
  refreshTokens: string[],
): CostCase[] {
  let nextPopulation = 0;
  const existing = async () => population[nextPopulation++ % population.length] ?? '';
  const fresh = async () => idOf(await admin.create({ credentials: { api_key: 'k' } }, world.otherClientId));
  const refreshable = async () => {
    const token = refreshTokens.pop();
    if (!token) throw new Error('out of minted refresh tokens');
    return idOf(await admin.create({ credentials: oauth2Credentials(token) }, world.providerClientId));
  };
  const onOAuth2 = async () =>
    idOf(await admin.create({ credentials: oauth2Credentials() }, world.providerClientId));
  const otherCredentials = { credentials: { api_key: 'rotated' } };
  let keys = 0;
  const nextKey = () => `bench-key-${Date.now()}-${keys++}`;
  const deleted = async () => {
    const id = await fresh();
    await admin.delete(id);
    return id;
  };
  /** A secret with two versions: created, then its credentials replaced. */
  const rotated = async () => {
    const id = await fresh();
    await admin.patch(id, otherCredentials);
    return id;
  };
  return [
    {
      operation: 'get',
      floor: floors({ GetItem: 1 }, 1, 1),
      why: 'get',
      warmUp: async () => admin.get(await existing()),
      prepare: existing,
      run: (id) => admin.get(id),
    },
    {
      operation: 'create',
      floor: floors({ GetItem: 1, BatchGetItem: 1, TransactWriteItems: 1 }, 1, 2),
      why: 'create',
      warmUp: fresh,
      prepare: async () => '',
      run: () => admin.create(otherCredentials, world.otherClientId),
    },
    {
      operation: 'create with Idempotency-Key',
      floor: floors({ GetItem: 1, BatchGetItem: 1, TransactWriteItems: 1, PutItem: 1, UpdateItem: 1 }, 2, 2),
      why: 'createIdempotent',
      warmUp: () => admin.create(otherCredentials, world.otherClientId, nextKey()),
      prepare: async () => '',
      run: () => admin.create(otherCredentials, world.otherClientId, nextKey()),
    },
    {
      operation: 'create, replayed (same Idempotency-Key)',
      floor: floors({ PutItem: 1, GetItem: 1 }, 1, 2),
      why: 'createReplayed',
      warmUp: async () => {
        const key = nextKey();
        await admin.create(otherCredentials, world.otherClientId, key);
        return admin.create(otherCredentials, world.otherClientId, key);
      },
      prepare: async () => {
        const key = nextKey();
        await admin.create(otherCredentials, world.otherClientId, key);
        return key;
      },
      run: (key) => admin.create(otherCredentials, world.otherClientId, key),
    },
    {
      operation: 'patch (name)',
      floor: floors({ GetItem: 1, PutItem: 1 }, 1, 2),
      why: 'patchName',
      warmUp: async () => admin.patch(await fresh(), { name: 'Renamed' }),
      prepare: fresh,
      run: (id) => admin.patch(id, { name: 'Renamed' }),
    },
    {
      operation: 'patch (credentials)',
      floor: floors({ GetItem: 2, TransactWriteItems: 1 }, 1, 2),
      why: 'patchCredentials',
      warmUp: async () => admin.patch(await fresh(), otherCredentials),
      prepare: fresh,
      run: (id) => admin.patch(id, otherCredentials),
    },
    {
      operation: 'patch (move to another auth-client)',
      floor: floors({ GetItem: 3, BatchGetItem: 1, TransactWriteItems: 1 }, 2, 2),
      why: 'patchMove',
      warmUp: async () => admin.patch(await onOAuth2(), {}, world.oauth2ClientId),
      prepare: onOAuth2,
      run: (id) => admin.patch(id, {}, world.oauth2ClientId),
    },
    {
      operation: 'delete (recoverable)',
      floor: floors({ GetItem: 2, BatchGetItem: 1, TransactWriteItems: 1 }, 0, 2),
      why: 'delete',
      warmUp: async () => admin.delete(await fresh()),
      prepare: fresh,
      run: (id) => admin.delete(id),
    },
    {
      operation: 'delete ?force=true',
      floor: floors({ GetItem: 2, TransactWriteItems: 1 }, 0, 2),
      why: 'deleteForce',
      warmUp: async () => admin.delete(await fresh(), true),
      prepare: fresh,
      run: (id) => admin.delete(id, true),
    },
    {
      operation: 'restore',
      floor: floors({ GetItem: 2, BatchGetItem: 1, TransactWriteItems: 1 }, 1, 2),
      why: 'restore',
      warmUp: async () => admin.restore(await deleted()),
      prepare: deleted,
      run: (id) => admin.restore(id),
    },
    {
      operation: 'versions (list)',
      floor: floors({ GetItem: 1, Query: 1 }, 0),
      why: 'versions',
      warmUp: async () => admin.versions(await rotated()),
      prepare: rotated,
      run: (id) => admin.versions(id),
    },
    {
      operation: 'version (one, with credentials)',
      floor: floors({ GetItem: 2 }, 1, 1),
      why: 'version',
      warmUp: async () => admin.version(await rotated(), 1),
      prepare: rotated,
      run: (id) => admin.version(id, 1),
    },
    {
      operation: 'version restore',
      floor: floors({ GetItem: 3, TransactWriteItems: 1 }, 1, 2),
      why: 'versionRestore',
      warmUp: async () => admin.restoreVersion(await rotated(), 1),
      prepare: rotated,
      run: (id) => admin.restoreVersion(id, 1),
    },
    {
      operation: 'refresh',
      floor: floors({ GetItem: 2, UpdateItem: 1, TransactWriteItems: 1 }, 3, 2),
      why: 'refresh',
      warmUp: async () => admin.refresh(await refreshable()),
      prepare: refreshable,
      run: (id) => admin.refresh(id),
    },
  ];
}

/** v1 secrets with a text payload, made like the v2 population from several containers. */
async function createV1Population(stack: HandlerStack, api: V1Api): Promise<string[]> {
  const ids: string[] = [];
  for (let container = 0; container < CREATING_CONTAINERS; container++) {
    ids.push(
      ...(await inParallel(Array.from({ length: V1_POPULATION / CREATING_CONTAINERS }), 4, (_, index) =>
        api.create(index),
      )),
    );
    stack.coldStart();
  }
  stack.take();
  return ids;
}

const V1_POPULATION = 150;

function v1Cases(api: V1Api, population: readonly string[]): CostCase[] {
  let next = 0;
  let created = population.length;
  const existing = async () => population[next++ % population.length] ?? '';
  return [
    ...[10, 100].map((limit): CostCase => ({
      operation: `v1 list, limit ${limit}`,
      floor: floors({ BatchGetItem: 1, Query: 1 }, 0),
      why: 'v1list',
      warmUp: () => api.list(limit),
      prepare: async () => '',
      run: () => api.list(limit),
    })),
    {
      operation: 'v1 create',
      floor: floors({ BatchGetItem: 1, TransactWriteItems: 1 }, 1, 2),
      why: 'v1create',
      warmUp: () => api.create(created++),
      prepare: async () => '',
      run: () => api.create(created++),
    },
    {
      operation: 'v1 delete',
      floor: floors({ GetItem: 1, TransactWriteItems: 1 }, 0, 2),
      why: 'v1delete',
      warmUp: async () => api.delete(await api.create(created++)),
      prepare: () => api.create(created++),
      run: (id) => api.delete(id),
    },
    {
      operation: 'v1 get (metadata)',
      floor: floors({ GetItem: 1 }, 0, 1),
      why: 'v1get',
      warmUp: async () => api.get(await existing()),
      prepare: existing,
      run: (id) => api.get(id),
    },
    {
      operation: 'v1 payload',
      floor: floors({ GetItem: 1 }, 1, 1),
      why: 'v1payload',
      warmUp: async () => api.payload(await existing()),
      prepare: existing,
      run: (id) => api.payload(id),
    },
  ];
}

const SAMPLE = { workspaceId: 'w', userId: 'u', authClientId: 'a', state: 'ready' as const };
/** The counted lists an auth-secret is in: one per combination of the list filters. */
const V2_LISTS = secretListNames(SAMPLE).length;
/** The lists a move to another auth-client leaves (and joins as many). */
const MOVED_LISTS = secretListNames(SAMPLE).filter(
  (name) => !secretListNames({ ...SAMPLE, authClientId: 'b' }).includes(name),
).length;
/** The index partitions a list without filter[state] reads and merges. */
const STATE_PARTITIONS = secretListQuery('w', {}).partitions.length;

const WHY: Record<string, string> = {
  list:
    'Warm: 1 GetItem of the list’s total (strongly consistent: `meta.total`) + 1 Query on the filter’s ' +
    `KEYS_ONLY index per state partition (${STATE_PARTITIONS} without filter[state], merged by id; all but the ` +
    'ready one mostly empty) for the page’s keys and one more (is there a next page?), + 1 BatchGetItem of the page’s ' +
    'items (≤ 100 keys); none of it grows with the workspace (see ‘Offset cost growth’). The access cache holds ' +
    'the API key record + membership and the envelope holds the unwrapped data keys, so no KMS call. Cold: + 1 ' +
    'BatchGetItem (API key + membership in one round trip), + 1 KMS Decrypt per distinct data key on the page ' +
    '(concurrent opens of one key wait for a single unwrap).',
  get:
    'Warm: 1 GetItem (strongly consistent, so a read after a write sees it: 1 RCU for an item under 4 KB); ' +
    'auth from the access cache, data key from the envelope cache. Cold: + 1 BatchGetItem for auth, + 1 KMS ' +
    'Decrypt for the item’s data key.',
  create:
    'Warm: 1 GetItem (the auth-client: it must belong to the tenant, and its type decides the credentials’ ' +
    `shape) + 1 BatchGetItem (the totals of the ${V2_LISTS} counted lists the secret joins: one per combination ` +
    'of filter[user], filter[auth_client] and filter[state]) + 1 TransactWriteItems: the conditional PutItem of the secret, a check ' +
    'that the auth-client exists and an update of its usage count (not being deleted), and each list’s total ' +
    'and block. The workspace’s sealing data key is reused for DATA_KEY_MAX_AGE_SECONDS (then 1 ' +
    'GenerateDataKey). Cold: + 1 BatchGetItem for auth, + 1 GenerateDataKey.',
  createIdempotent:
    'As create, and the key’s record: 1 conditional PutItem claims it before the create runs, the create’s ' +
    'transaction marks it created (1 item more), 1 UpdateItem keeps the answer (sealed: it carries the ' +
    'credentials) after it. The answer’s data key is cached like any ' +
    'other (per user). Cold: + 1 BatchGetItem for auth, + 2 GenerateDataKey (the credentials’ and the answer’s).',
  createReplayed:
    'The claim’s conditional PutItem fails (a round trip, and 1 WCU on AWS, which DynamoDB Local does not ' +
    'report), 1 GetItem reads the key’s record, and its sealed answer is opened: ' +
    'nothing else runs (no auth-client read, no list totals, no transaction). Cold: + 1 BatchGetItem for auth, ' +
    '+ 1 KMS Decrypt (the answer’s data key).',
  patchName:
    'Warm: 1 GetItem (the version the conditional write checks) + 1 conditional PutItem: the secret stays in ' +
    'the same lists, so no count changes; the answer shows the credentials, opened with the cached data key. ' +
    'Cold: + 1 BatchGetItem for auth, + 1 KMS Decrypt.',
  patchCredentials:
    'Warm: GetItem of the secret + GetItem of its auth-client (the new credentials are checked against its ' +
    'type) + 1 TransactWriteItems: the conditional PutItem (same lists), the new credentials’ version (PutItem) ' +
    'and, past ten kept, the oldest version’s DeleteItem; sealing reuses the cached data key. Cold: + 1 ' +
    'BatchGetItem for auth, + 1 GenerateDataKey (the old credentials are not opened).',
  patchMove:
    'Warm: GetItem of the new auth-client, GetItem of the secret, then the move: GetItem of the secret again ' +
    `(the store’s own read, for where it is counted), 1 BatchGetItem (the totals of the ${MOVED_LISTS} lists it joins) and ` +
    '1 TransactWriteItems in place of the PutItem: the secret, both auth-clients’ usage (and a check of the ' +
    `new one), out of ${MOVED_LISTS} lists (total and block each) and into ${MOVED_LISTS}. Cold: + 1 BatchGetItem for auth, + 2 KMS ` +
    '(Decrypt the credentials, checked against the new client’s type; GenerateDataKey to seal them again, ' +
    'bound to the new auth-client).',
  delete:
    'Recoverable (DELETE_RECOVERY_DAYS): GetItem of the secret (the use case’s, for If-Match), GetItem again (the ' +
    'store’s, for where it is counted), 1 BatchGetItem (the deleted list’s total) and 1 TransactWriteItems: the ' +
    `conditional PutItem of the deleted secret, the auth-client’s usage, out of its ${V2_LISTS} lists and into the ` +
    'deleted one. Cold: + 1 BatchGetItem for auth. No KMS: nothing is opened.',
  deleteForce:
    'The same two reads, then 1 TransactWriteItems: the DeleteItem conditional on the version, the auth-client’s ' +
    `usage, the total and block of each of its ${V2_LISTS} lists, and a DeleteItem of each version it can keep ` +
    '(current and ten before). Cold: + 1 BatchGetItem for auth.',
  restore:
    'The delete’s way back: GetItem (deleted, within its window?), GetItem (the store’s), 1 BatchGetItem (the ' +
    `totals of the ${V2_LISTS} lists it joins again) and 1 TransactWriteItems (the secret, its auth-client’s check and ` +
    'usage, out of the deleted list and into its lists). Cold: + 1 BatchGetItem for auth, + 1 KMS Decrypt (the ' +
    'answer shows the credentials).',
  versions:
    'GetItem of the secret (live?), 1 Query of its versions (no credentials opened). Not audited (only refused ' +
    'requests are). Cold: + 1 BatchGetItem for auth.',
  version:
    'GetItem of the secret, GetItem of the version, its credentials opened. Audited like a read of the secret. ' +
    'Cold: + 1 BatchGetItem for auth, + 1 KMS Decrypt.',
  versionRestore:
    'GetItem of the secret, of the version and of the auth-client (the refresh interval counts again), then 1 ' +
    'TransactWriteItems (the secret with the version’s sealed credentials copied, a new version, the oldest ' +
    'one’s delete); nothing sealed again. Cold: + 1 BatchGetItem for auth, + 1 KMS Decrypt (the answer).',
  refresh:
    'Conditional UpdateItem (the lease, taken without reading first: one refresh spends a refresh token), GetItem ' +
    '(auth-client), then GetItem + 1 TransactWriteItems (save under the lease, applied to the secret as it is ' +
    'now, with the new tokens’ version and the oldest version’s delete); no list changes. Warm: no KMS (client-secret and credential data keys cached, sealing key reused). ' +
    'Cold: + 1 BatchGetItem for auth, + 3 KMS (Decrypt client secret, Decrypt credentials: different encryption ' +
    'contexts; GenerateDataKey to seal the new tokens, which also opens them for the answer).',
  v1list:
    'X-Project-Id names the workspace. The plain list (no filter, no sort) of a workspace with no expiring ' +
    'secret: 1 BatchGetItem (the totals of the workspace’s v1 list and of its expiring secrets: `total`, and ' +
    'whether any secret can have expired) + 1 Query on the v1 list index, which projects every field a list ' +
    'shows, from the block holding the offset: no item or payload read, no KMS. Cold: + 1 BatchGetItem for auth.',
  v1create:
    '1 BatchGetItem (the totals of the lists the secret joins; with an expiration, the expiring list too) + 1 ' +
    'TransactWriteItems (the conditional PutItem, each list’s total and block); the payload sealed with the ' +
    'cached data key. Cold: + 1 BatchGetItem for auth, + 1 GenerateDataKey.',
  v1delete:
    '1 GetItem (the version, the expiration, where it is counted) + 1 TransactWriteItems (the DeleteItem ' +
    'conditional on that version and on not having expired, each list’s total and block). Cold: + 1 ' +
    'BatchGetItem for auth. No KMS.',
  v1get: '1 GetItem; no KMS (the payload is not opened). Cold: + 1 BatchGetItem for auth.',
  v1payload:
    '1 GetItem, then the payload opened with the cached data key. Cold: + 1 BatchGetItem for auth, ' +
    '+ 1 KMS Decrypt.',
};

function matchesFloor(cost: CostCounters, floor: Floor): 'at floor' | string {
  const names = new Set([...Object.keys(cost.dynamoCalls), ...Object.keys(floor.dynamo)]);
  const over: string[] = [];
  for (const name of [...names].sort()) {
    const delta = (cost.dynamoCalls[name] ?? 0) - (floor.dynamo[name] ?? 0);
    if (delta !== 0) over.push(`${delta > 0 ? '+' : ''}${delta} ${name}`);
  }
  const kmsDelta = cost.kmsCalls - floor.kms;
  if (kmsDelta !== 0) over.push(`${kmsDelta > 0 ? '+' : ''}${kmsDelta} KMS`);
  return over.length === 0 ? 'at floor' : over.join(', ');
}

const floorText = (floor: Floor) =>
  `${calls({ dynamoCalls: { ...floor.dynamo } })}; KMS ${Number.isNaN(floor.kms) ? '?' : floor.kms}`;

function render(
  rows: Row[],
  cases: CostCase[],
  populationSize: number,
  v1PopulationSize: number,
  bookkeeping: Bookkeeping,
): Section {
  const tableRows = rows.map((row) => [
    row.operation,
    row.mode,
    calls(row.cost),
    String(totalCalls(row.cost)),
    String(row.cost.sequential),
    units(row.cost.readCapacity),
    units(row.cost.writeCapacity),
    String(row.cost.kmsCalls),
    floorText(row.floor),
    matchesFloor(row.cost, row.floor),
  ]);
  const whyKeys = [...new Set(cases.map((costCase) => costCase.why))];
  const targets = costTargets(rows);
  const markdown = [
    `Counted on the real handlers (in process, embedded DynamoDB, every call counted at the SDK boundary with ` +
      `ReturnConsumedCapacity=TOTAL; data-key provider calls are KMS calls on AWS). The workspace holds ` +
      `${populationSize} secrets (two users × two auth-clients; 120 match both list filters) created from ` +
      `${CREATING_CONTAINERS} containers, so they are sealed under ${CREATING_CONTAINERS} data keys. ` +
      `**warm**: the container has served the same kind of request before; **cold**: a new container ` +
      `(new clients, empty access and data-key caches). RCU/WCU are the capacity units DynamoDB reports ` +
      `(index queries and BatchGetItem read eventually consistent: half a unit per 4 KB), except for ` +
      `TransactWriteItems, where DynamoDB Local reports less than AWS bills: its WCU are computed as AWS bills ` +
      `them, 2 per KB (rounded up) of each item the transaction puts, updates, deletes or checks, from the ` +
      `items' sizes (bench/instrument.ts). **sequential**: the ` +
      `round trips the request waits for in turn (requests sent together count once).` +
      ` The v1 rows run the Barbican v1 handlers (functions/v1*.ts) on ${v1PopulationSize} v1 secrets ` +
      `(64-byte text payloads) of the same workspace, also from ${CREATING_CONTAINERS} containers.`,
    '',
    table(
      [
        'operation',
        'container',
        'DynamoDB round trips',
        'total',
        'sequential',
        'RCU',
        'WCU',
        'KMS',
        'floor',
        'vs floor',
      ],
      tableRows,
    ),
    '',
    ...writeComparison(rows, bookkeeping),
    '',
    ...safeWritesComparison(rows),
    '',
    'Why these floors:',
    '',
    ...whyKeys.map((key) => {
      const names = cases.filter((costCase) => costCase.why === key).map((costCase) => costCase.operation);
      const label =
        key === 'list' ? 'list (every limit and filter)' : key === 'v1list' ? 'v1 list' : (names[0] ?? key);
      return `- **${label}**: ${WHY[key] ?? ''}`;
    }),
  ].join('\n');
  return { title: 'Cost per operation (counted)', markdown, targets };
}

/**
 * Warm writes in the report before counted lists (commit 0eb7f5d, measured on dynalite; counts do not
 * depend on the engine): one conditional write each, no list bookkeeping. v1 writes were not measured
 * then; by design they were 1 PutItem (create) and 1 DeleteItem (delete).
 */
const WRITES_BEFORE: ReadonlyArray<{
  operation: string;
  calls: string;
  total: number;
  wcu: number | undefined;
}> = [
  { operation: 'create', calls: 'GetItem 1, PutItem 1', total: 2, wcu: 2 },
  { operation: 'patch (name)', calls: 'GetItem 1, PutItem 1', total: 2, wcu: 2 },
  { operation: 'patch (credentials)', calls: 'GetItem 2, PutItem 1', total: 3, wcu: 2 },
  { operation: 'delete ?force=true', calls: 'DeleteItem 1', total: 1, wcu: 2 },
  { operation: 'refresh', calls: 'GetItem 2, PutItem 1, UpdateItem 1', total: 4, wcu: 4 },
  { operation: 'v1 create', calls: 'PutItem 1', total: 1, wcu: undefined },
  { operation: 'v1 delete', calls: 'DeleteItem 1', total: 1, wcu: undefined },
];

/** The write cost the counted lists add: warm writes now against the report before them. */
function writeComparison(rows: Row[], bookkeeping: Bookkeeping): string[] {
  const warm = (operation: string) => rows.find((row) => row.mode === 'warm' && row.operation === operation);
  const compared = WRITES_BEFORE.flatMap((before) => {
    const now = warm(before.operation);
    return now ? [{ before, now }] : [];
  });
  const move = warm('patch (move to another auth-client)');
  const refresh = warm('refresh');
  const create = warm('create');
  const remove = warm('delete ?force=true');
  const wcu = (value: number | undefined) => (value === undefined ? 'not measured' : units(value));
  return [
    '**The write cost of counted lists** (warm, against the report before them, commit 0eb7f5d):',
    '',
    table(
      ['operation', 'before: calls', 'before: WCU', 'now: calls', 'now: WCU', 'WCU added'],
      [
        ...compared.map(({ before, now }) => [
          before.operation,
          `${before.total} (${before.calls})`,
          wcu(before.wcu),
          `${totalCalls(now.cost)} (${calls(now.cost)})`,
          units(now.cost.writeCapacity),
          before.wcu === undefined ? 'n/a' : units(now.cost.writeCapacity - before.wcu),
        ]),
        ...(move
          ? [
              [
                move.operation,
                'not possible before',
                '',
                `${totalCalls(move.cost)} (${calls(move.cost)})`,
                units(move.cost.writeCapacity),
                '',
              ],
            ]
          : []),
      ],
    ),
    '',
    `A write that adds, moves or removes a secret is now one TransactWriteItems with the secret's lists (total ` +
      `and block item of each: ${V2_LISTS} lists for an auth-secret, 1 for a v1 secret without an expiration) and, for ` +
      `auth-secrets, its auth-client's usage count. DynamoDB bills a transactional write twice (2 WCU per KB ` +
      `per item), and each counter is an item of its own, so ` +
      (create && remove
        ? `a create costs ${units(create.cost.writeCapacity)} WCU and a delete ${units(remove.cost.writeCapacity)} ` +
          `instead of 2 each, and each adds a BatchGetItem (create: the lists' totals) or a GetItem (delete: where ` +
          `the secret is counted) before the write. `
        : '') +
      `A PATCH that keeps the secret in its lists (name, state) writes as before: one PutItem (new ` +
      `credentials are a transaction with their version: see below). ` +
      `Each secret's item also records which block of each list counts it (\`listBlocks\`: ` +
      `${num(bookkeeping.listBlocks)} of the ${num(bookkeeping.item)} bytes of an auth-secret's item here), so ` +
      `that a delete needs no search; items cross a KB boundary sooner, and every write of the item costs by the ` +
      `KB` +
      (refresh && refresh.cost.writeCapacity > REFRESH_WCU_BEFORE
        ? ` (a refresh's two writes cost ${units(refresh.cost.writeCapacity)} WCU instead of ${REFRESH_WCU_BEFORE})`
        : '') +
      `. ` +
      `Reads pay nothing for it, and a list page no longer reads every key of the workspace (see ` +
      `'Offset cost growth').`,
  ];
}

/** What credential versions and idempotency keys add to the writes they ride on (warm rows). */
function safeWritesComparison(rows: Row[]): string[] {
  const warm = (operation: string) => rows.find((row) => row.mode === 'warm' && row.operation === operation);
  const pairs: Array<[string, string, string]> = [
    [
      'create with Idempotency-Key',
      'create',
      'the key’s record: claimed before, its sealed answer kept after',
    ],
    [
      'patch (credentials)',
      'patch (name)',
      'the new credentials’ version (and the oldest one’s delete, past ten)',
    ],
    ['create, replayed (same Idempotency-Key)', 'create', 'a replay instead of a second create'],
  ];
  const compared = pairs.flatMap(([operation, base, what]) => {
    const with_ = warm(operation);
    const without = warm(base);
    return with_ && without ? [{ operation, base, what, with_, without }] : [];
  });
  const refresh = warm('refresh');
  return [
    '**What safe writes add** (warm; a create’s version 1 is in its own transaction, so it adds no round trip, ' +
      'only the version item’s WCU):',
    '',
    table(
      ['operation', 'against', 'round trips', 'WCU', 'what'],
      compared.map(({ operation, base, what, with_, without }) => [
        operation,
        base,
        `${totalCalls(with_.cost)} vs ${totalCalls(without.cost)}`,
        `${units(with_.cost.writeCapacity)} vs ${units(without.cost.writeCapacity)}`,
        what,
      ]),
    ),
    '',
    refresh
      ? `A refresh that gets new tokens saves them with their version in one TransactWriteItems: ` +
        `${units(refresh.cost.writeCapacity)} WCU for its writes (the lease's UpdateItem included), ` +
        `${totalCalls(refresh.cost)} round trips.`
      : '',
  ];
}

const REFRESH_WCU_BEFORE = WRITES_BEFORE.find((before) => before.operation === 'refresh')?.wcu ?? NaN;

interface Bookkeeping {
  /** Bytes (as DynamoDB sizes items) of a secret's item, and of its `listBlocks` attribute. */
  readonly item: number;
  readonly listBlocks: number;
}

/** How much of a secret's item is list bookkeeping (read outside the counts). */
async function listBlocksBytes(
  stack: HandlerStack,
  world: BenchWorld,
  secretId: string,
): Promise<Bookkeeping> {
  const { Item: item } = await stack.services.table.client.send(
    new GetCommand({ TableName: stack.services.table.name, Key: keys.secret(world.workspaceId, secretId) }),
  );
  stack.take();
  if (!item) throw new Error(`secret ${secretId} not found`);
  return { item: itemBytes(item), listBlocks: itemBytes({ listBlocks: item.listBlocks }) };
}

function costTargets(rows: Row[]): TargetResult[] {
  const warm = (prefix: string) =>
    rows.filter((row) => row.mode === 'warm' && row.operation.startsWith(prefix));
  const describe = (selected: Row[]) =>
    selected
      .map(
        (row) => `${row.operation}: ${plural(totalCalls(row.cost), 'round trip')}, ${row.cost.kmsCalls} KMS`,
      )
      .join('; ');
  const readTarget = (name: string, selected: Row[]): TargetResult => {
    const over = selected.filter(
      (row) => row.cost.kmsCalls !== 0 || totalCalls(row.cost) < 1 || totalCalls(row.cost) > 2,
    );
    const sequential = Math.max(...over.map((row) => row.cost.sequential));
    return {
      target: `${name}: no KMS call, one or two DynamoDB round trips`,
      pass: over.length === 0,
      measured: describe(selected),
      ...(over.length === 0
        ? {}
        : {
            note:
              `${over.map((row) => row.operation).join(', ')}: the list's total is a request of its own (a ` +
              `strongly consistent GetItem of its counter) besides the page's keys and items, so a v2 list makes ` +
              `${Math.max(...over.map((row) => totalCalls(row.cost)))} requests (a Query per state partition); a ` +
              `request waits for ${sequential} of them in turn (lib/store/secrets.ts \`list()\` ` +
              `awaits the total before it starts the index Query; sent beside it, a page would wait for 2). Before ` +
              `counted lists the page's Query counted the total itself, by reading every key of the list.`,
          }),
    };
  };
  const creates = rows.filter((row) => row.operation === 'create');
  return [
    readTarget('warm get (v2 get; v1 get and payload)', [
      ...warm('get'),
      ...warm('v1 get'),
      ...warm('v1 payload'),
    ]),
    readTarget('warm list of up to 100 secrets (limits 10 and 100, every filter; v1 list)', [
      ...warm('list'),
      ...warm('v1 list'),
    ]),
    {
      // The audit trail (issue 10) adds its own two records to every change: counted apart.
      target:
        "create: at most one KMS call and one write request (warm and cold), besides the audit trail's two records",
      pass: creates.every(
        (row) => row.cost.kmsCalls <= 1 && writeRequests(row.cost) - CHANGE_AUDIT_WRITES === 1,
      ),
      measured: creates
        .map(
          (row) =>
            `${row.mode}: ${row.cost.kmsCalls} KMS, ${writeRequests(row.cost) - CHANGE_AUDIT_WRITES} write request + ` +
            `${CHANGE_AUDIT_WRITES} audit ` +
            `(${calls({ dynamoCalls: pick(row.cost.dynamoCalls, WRITE_OPERATIONS) })}), ` +
            `${units(row.cost.writeCapacity)} WCU`,
        )
        .join('; '),
    },
  ];
}

/** The audit records of a change: written before it runs and completed with its answer. */
const CHANGE_AUDIT_WRITES = 2;

const WRITE_OPERATIONS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

/** Write requests: a TransactWriteItems is one request (one atomic write of several items). */
const writeRequests = (cost: CostCounters) =>
  WRITE_OPERATIONS.reduce((sum, name) => sum + (cost.dynamoCalls[name] ?? 0), 0);

const pick = (counts: Record<string, number>, names: readonly string[]) =>
  Object.fromEntries(Object.entries(counts).filter(([name]) => names.includes(name)));

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
