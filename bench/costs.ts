import type { OAuthServer } from '../test/support/oauthServer';
import { idOf, oauth2Credentials, secretsApi, type ListQuery, type SecretsApi } from './api';
import { startHandlerStack, type HandlerStack } from './handlerStack';
import { totalCalls, type CostCounters } from './instrument';
import { calls, table, units, type Section, type TargetResult } from './stats';
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

/** The warm floor (no KMS), and the cold one: + 1 BatchGetItem (API key + membership) and `coldKms`. */
const floors =
  (dynamo: Record<string, number>, coldKms: number) =>
  (mode: Mode): Floor =>
    mode === 'warm'
      ? { dynamo, kms: 0 }
      : { dynamo: { ...dynamo, BatchGetItem: (dynamo.BatchGetItem ?? 0) + 1 }, kms: coldKms };

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
  const stack = await startHandlerStack();
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
    return render(rows, cases, population.length, v1Population.length);
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
        floor: (mode, dataKeys) => floors({ Query: 1, BatchGetItem: 1 }, Number(dataKeys))(mode),
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
  const otherCredentials = { credentials: { api_key: 'rotated' } };
  return [
    {
      operation: 'get',
      floor: floors({ GetItem: 1 }, 1),
      why: 'get',
      warmUp: async () => admin.get(await existing()),
      prepare: existing,
      run: (id) => admin.get(id),
    },
    {
      operation: 'create',
      floor: floors({ GetItem: 1, PutItem: 1 }, 1),
      why: 'create',
      warmUp: fresh,
      prepare: async () => '',
      run: () => admin.create(otherCredentials, world.otherClientId),
    },
    {
      operation: 'patch (name)',
      floor: floors({ GetItem: 1, PutItem: 1 }, 1),
      why: 'patchName',
      warmUp: async () => admin.patch(await fresh(), { name: 'Renamed' }),
      prepare: fresh,
      run: (id) => admin.patch(id, { name: 'Renamed' }),
    },
    {
      operation: 'patch (credentials)',
      floor: floors({ GetItem: 2, PutItem: 1 }, 1),
      why: 'patchCredentials',
      warmUp: async () => admin.patch(await fresh(), otherCredentials),
      prepare: fresh,
      run: (id) => admin.patch(id, otherCredentials),
    },
    {
      operation: 'delete',
      floor: floors({ DeleteItem: 1 }, 0),
      why: 'delete',
      warmUp: async () => admin.delete(await fresh()),
      prepare: fresh,
      run: (id) => admin.delete(id),
    },
    {
      operation: 'refresh',
      floor: floors({ GetItem: 2, UpdateItem: 1, PutItem: 1 }, 3),
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
  const existing = async () => population[next++ % population.length] ?? '';
  return [
    ...[10, 100].map((limit): CostCase => ({
      operation: `v1 list, limit ${limit}`,
      floor: floors({ Query: 1 }, 0),
      why: 'v1list',
      warmUp: () => api.list(limit),
      prepare: async () => '',
      run: () => api.list(limit),
    })),
    {
      operation: 'v1 get (metadata)',
      floor: floors({ GetItem: 1 }, 0),
      why: 'v1get',
      warmUp: async () => api.get(await existing()),
      prepare: existing,
      run: (id) => api.get(id),
    },
    {
      operation: 'v1 payload',
      floor: floors({ GetItem: 1 }, 1),
      why: 'v1payload',
      warmUp: async () => api.payload(await existing()),
      prepare: existing,
      run: (id) => api.payload(id),
    },
  ];
}

const WHY: Record<string, string> = {
  list:
    'Warm: 1 Query on the filter’s KEYS_ONLY index (one page while the keys fit in 1 MB: about 5,500 secrets, see ‘Offset cost growth’) ' +
    'to count and skip, + 1 BatchGetItem of the page’s items (≤ 100 keys); the access cache holds the API key ' +
    'record + membership and the envelope holds the unwrapped data keys, so no KMS call. Cold: + 1 BatchGetItem ' +
    '(API key + membership in one round trip), + 1 KMS Decrypt per distinct data key on the page (concurrent ' +
    'opens of one key wait for a single unwrap).',
  get:
    'Warm: 1 GetItem (strongly consistent, so a read after a write sees it: 1 RCU for an item under 4 KB); ' +
    'auth from the access cache, data key from the envelope cache. Cold: + 1 BatchGetItem for auth, + 1 KMS ' +
    'Decrypt for the item’s data key.',
  create:
    'Warm: 1 GetItem (the auth-client: it must belong to the tenant, and its type decides the credentials’ ' +
    'shape) + 1 conditional PutItem; the workspace’s sealing data key is reused for DATA_KEY_MAX_AGE_SECONDS ' +
    '(then 1 GenerateDataKey). Cold: + 1 BatchGetItem for auth, + 1 GenerateDataKey.',
  patchName:
    'Warm: 1 GetItem (the version the conditional write checks) + 1 conditional PutItem; the answer shows the ' +
    'credentials, opened with the cached data key. Cold: + 1 BatchGetItem for auth, + 1 KMS Decrypt.',
  patchCredentials:
    'Warm: GetItem of the secret + GetItem of its auth-client (the new credentials are checked against its ' +
    'type) + 1 conditional PutItem; sealing reuses the cached data key. Cold: + 1 BatchGetItem for auth, ' +
    '+ 1 GenerateDataKey (the old credentials are not opened).',
  v1list:
    'X-Project-Id names the workspace. 1 Query on the v1 list index, which projects every field a ' +
    'list shows, so the page and `total` come from it and no item or payload is read; no KMS (nothing is ' +
    'opened). Cold: + 1 BatchGetItem for auth. Like the v2 list it walks every entry of the workspace, and its ' +
    'entries are larger than v2’s KEYS_ONLY ones.',
  v1get: '1 GetItem; no KMS (the payload is not opened). Cold: + 1 BatchGetItem for auth.',
  v1payload:
    '1 GetItem, then the payload opened with the cached data key. Cold: + 1 BatchGetItem for auth, ' +
    '+ 1 KMS Decrypt.',
  delete: 'Warm: 1 conditional DeleteItem. Cold: + 1 BatchGetItem for auth. No KMS: nothing is opened.',
  refresh:
    'Conditional UpdateItem (the lease, taken without reading first: one refresh spends a refresh token), GetItem ' +
    '(auth-client), then GetItem + conditional PutItem (save under the lease, applied to the secret as it is ' +
    'now). Warm: no KMS (client-secret and credential data keys cached, sealing key reused). Cold: + 1 ' +
    'BatchGetItem for auth, + 3 KMS (Decrypt client secret, Decrypt credentials: different encryption ' +
    'contexts; GenerateDataKey to seal the new tokens, which also opens them for the answer).',
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

function render(rows: Row[], cases: CostCase[], populationSize: number, v1PopulationSize: number): Section {
  const tableRows = rows.map((row) => [
    row.operation,
    row.mode,
    calls(row.cost),
    String(totalCalls(row.cost)),
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
      `(index queries and BatchGetItem read eventually consistent: half a unit per 4 KB).` +
      ` The v1 rows run the Barbican v1 handlers (functions/v1*.ts) on ${v1PopulationSize} v1 secrets ` +
      `(64-byte text payloads) of the same workspace, also from ${CREATING_CONTAINERS} containers.`,
    '',
    table(
      ['operation', 'container', 'DynamoDB round trips', 'total', 'RCU', 'WCU', 'KMS', 'floor', 'vs floor'],
      tableRows,
    ),
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
    const pass = selected.every(
      (row) => row.cost.kmsCalls === 0 && totalCalls(row.cost) >= 1 && totalCalls(row.cost) <= 2,
    );
    return {
      target: `${name}: no KMS call, one or two DynamoDB round trips`,
      pass,
      measured: describe(selected),
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
      target: 'create: at most one KMS call and one write (warm and cold)',
      pass: creates.every(
        (row) =>
          row.cost.kmsCalls <= 1 &&
          (row.cost.dynamoCalls.PutItem ?? 0) + (row.cost.dynamoCalls.UpdateItem ?? 0) === 1 &&
          (row.cost.dynamoCalls.BatchWriteItem ?? 0) === 0,
      ),
      measured: creates
        .map((row) => `${row.mode}: ${row.cost.kmsCalls} KMS, ${row.cost.dynamoCalls.PutItem ?? 0} PutItem`)
        .join('; '),
    },
  ];
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;
