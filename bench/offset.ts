import type { SecretRecord } from '../lib/model';
import { listBlockSize } from '../lib/config';
import { keys, secretListNames, secretListQuery } from '../lib/store/keys';
import { secretsApi, type ListQuery, type SecretsApi } from './api';
import { loadSecrets, loadV1Secrets, type Loaded } from './bulkLoad';
import { startHandlerStack, type HandlerStack } from './handlerStack';
import type { CostCounters } from './instrument';
import { calls, median, ms, num, since, table, units, type Section, type TargetResult } from './stats';
import { v1Api } from './v1';
import { createBenchWorld, type BenchWorld } from './world';

/**
 * Section 2: what a page costs as the workspace and the offset grow. Three workspaces of 100,
 * 20,000 and 100,000 secrets, bulk-loaded with every item their creates would have left (the
 * secrets and their counted lists: lib/store/countedLists.ts); pages through the real list
 * handler at offsets 0, 100, 10,000, the last page, and by key from the middle; against reading
 * 10,000 whole items.
 */

const SIZES = [100, 20_000, 100_000] as const;
/** The counted lists a secret is in (one per combination of the list filters), and the state partitions a list merges. */
const LISTS_PER_SECRET = secretListNames({
  workspaceId: 'w',
  userId: 'u',
  authClientId: 'a',
  state: 'ready',
}).length;
const STATE_PARTITIONS = secretListQuery('w', {}).partitions.length;
const OFFSETS = [0, 100, 10_000] as const;
const PAGE = 10;
/** The handler stack's block size (it runs with this process's environment). */
const BLOCK_SIZE = listBlockSize();
const WHOLE_ITEMS = 10_000;
/** The workspace whose offset 10,000 the target compares with reading 10,000 whole items. */
const TARGET_SIZE = 20_000;
const TIMED_RUNS = 5;
const TARGET_SHARE = 0.1;
const AIM_SHARE = 0.02;
/**
 * The report before counted lists (commit 0eb7f5d): every page of 20,000 secrets, offset 0
 * included, walked the filter's whole KEYS_ONLY index to count `meta.total`.
 */
const BEFORE = { readCapacity: 462.5, calls: 'BatchGetItem 1, Query 4', baseline: 1963 };

interface PageRow {
  readonly size: number;
  readonly label: string;
  /** `offset` for offset pages; undefined for the keyset page. */
  readonly offset: number | undefined;
  readonly cost: CostCounters;
  readonly latencies: number[];
}

interface Workspace {
  readonly world: BenchWorld;
  readonly size: number;
  readonly loaded: Loaded<SecretRecord>;
  readonly workspaceId: string;
}

export async function offsetSection(): Promise<Section> {
  const stack = await startHandlerStack();
  try {
    const rows: PageRow[] = [];
    const workspaces: Workspace[] = [];
    for (const size of SIZES) {
      const world = await createBenchWorld(stack.services);
      const loaded = await loadSecrets(
        stack.services,
        {
          tenantId: world.tenantId,
          workspaceId: world.workspaceId,
          userIds: [world.admin.id, world.editor.id],
          authClientId: world.oauth2ClientId,
        },
        size,
      );
      workspaces.push({ size, loaded, workspaceId: world.workspaceId, world });
      const api = secretsApi(stack, world.workspaceId, world.admin.apiKey);
      await api.list({ limit: PAGE });
      for (const page of pagesOf(size, loaded.ids)) rows.push(await measurePage(stack, api, size, page));
    }
    const target = workspaces.find((workspace) => workspace.size === TARGET_SIZE);
    if (!target) throw new Error('no workspace of the target size');
    const v1Rows = await measureV1(stack, target.world);
    const whole = await readWholeItems(stack, target.workspaceId, false);
    const wholeConsistent = await readWholeItems(stack, target.workspaceId, true);
    return render({ rows, v1Rows, workspaces, whole, wholeConsistent });
  } finally {
    await stack.stop();
  }
}

interface V1Row {
  readonly label: string;
  readonly cost: CostCounters;
  readonly latencies: number[];
  readonly loadSeconds: number;
}

/**
 * The plain v1 list (`GET /v1/secrets?offset=N&limit=10`, no filter, no expiring secret) of TARGET_SIZE
 * v1 secrets in the same workspace, through the real v1 list handler.
 */
async function measureV1(stack: HandlerStack, world: BenchWorld): Promise<V1Row[]> {
  const loaded = await loadV1Secrets(
    stack.services,
    { tenantId: world.tenantId, workspaceId: world.workspaceId, creatorId: world.admin.id },
    TARGET_SIZE,
  );
  const api = v1Api(stack, world.workspaceId, world.admin.apiKey);
  const last = Math.floor((TARGET_SIZE - 1) / PAGE) * PAGE;
  const rows: V1Row[] = [];
  for (const offset of [...OFFSETS, last]) {
    const label = offset === last ? `last page (offset ${num(offset)})` : `offset ${num(offset)}`;
    await api.list(PAGE, offset);
    stack.take();
    const latencies: number[] = [];
    let cost: CostCounters | undefined;
    for (let run = 0; run < TIMED_RUNS; run++) {
      const start = performance.now();
      const answer = await api.list(PAGE, offset);
      latencies.push(since(start));
      const taken = stack.take();
      cost ??= taken;
      const { secrets, total } = answer.body as { secrets: Array<{ secret_ref: string }>; total: number };
      const ids = secrets.map((secret) => secret.secret_ref.replace(/^.*\//, ''));
      if (total !== TARGET_SIZE || ids.join() !== loaded.ids.slice(offset, offset + PAGE).join()) {
        throw new Error(`v1 list of ${num(TARGET_SIZE)}, ${label}: total ${total}, not the expected page`);
      }
    }
    if (!cost) throw new Error('no run');
    rows.push({ label, cost, latencies, loadSeconds: loaded.seconds });
  }
  return rows;
}

interface PagePlan {
  readonly label: string;
  readonly query: ListQuery;
  readonly offset: number | undefined;
  /** The ids the page must show, in order. */
  readonly expected: string[];
}

/** Offsets within the list, the last page, and a keyset page after the id at position size / 2. */
function pagesOf(size: number, ids: readonly string[]): PagePlan[] {
  const last = Math.floor((size - 1) / PAGE) * PAGE;
  const offsets = [...OFFSETS.filter((offset) => offset + PAGE <= size && offset < last), last];
  const middle = Math.floor(size / 2);
  return [
    ...offsets.map((offset) => ({
      label: offset === last ? `last page (offset ${num(offset)})` : `offset ${num(offset)}`,
      query: { limit: PAGE, offset },
      offset,
      expected: ids.slice(offset, offset + PAGE),
    })),
    {
      label: `page[after] = id at ${num(middle)}`,
      query: { limit: PAGE, after: ids[middle] ?? '' },
      offset: undefined,
      expected: ids.slice(middle + 1, middle + 1 + PAGE),
    },
  ];
}

async function measurePage(
  stack: HandlerStack,
  api: SecretsApi,
  size: number,
  page: PagePlan,
): Promise<PageRow> {
  await api.list(page.query);
  stack.take();
  const latencies: number[] = [];
  let cost: CostCounters | undefined;
  for (let run = 0; run < TIMED_RUNS; run++) {
    const start = performance.now();
    const answer = await api.list(page.query);
    latencies.push(since(start));
    const taken = stack.take();
    cost ??= taken;
    checkPage(answer.body, size, page);
  }
  if (!cost) throw new Error('no run');
  return { size, label: page.label, offset: page.offset, cost, latencies };
}

/** The page shows exactly the expected secrets, the exact total, and (by key) a next link by key. */
function checkPage(body: unknown, size: number, page: PagePlan): void {
  const { data, meta, links } = body as {
    data: Array<{ id: string }>;
    meta: { total: number };
    links: { next?: string | null };
  };
  const ids = data.map((secret) => secret.id);
  const problem =
    meta.total !== size
      ? `total ${meta.total}`
      : ids.join() !== page.expected.join()
        ? `ids ${ids.slice(0, 2).join()}… instead of ${page.expected.slice(0, 2).join()}…`
        : page.offset === undefined &&
            !decodeURIComponent(links.next ?? '').includes(`page[after]=${ids.at(-1)}`)
          ? `next link ${links.next ?? 'absent'} does not page by key`
          : undefined;
  if (problem) throw new Error(`${num(size)} secrets, ${page.label}: ${problem}`);
}

interface WholeRead {
  readonly cost: CostCounters;
  readonly items: number;
  readonly bytes: number;
  readonly milliseconds: number;
}

/** A Query of the base table for WHOLE_ITEMS whole secrets (Limit 10,000, following pages). */
async function readWholeItems(
  stack: HandlerStack,
  workspaceId: string,
  consistent: boolean,
): Promise<WholeRead> {
  stack.take();
  const start = performance.now();
  const items = await stack.services.table.queryAll(
    {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.workspace(workspaceId).pk, ':prefix': 'SECRET#' },
      Limit: WHOLE_ITEMS,
      ConsistentRead: consistent,
    },
    WHOLE_ITEMS,
  );
  const milliseconds = since(start);
  const read = items.slice(0, WHOLE_ITEMS);
  return {
    cost: stack.take(),
    items: read.length,
    bytes: read.reduce((sum, item) => sum + JSON.stringify(item).length, 0),
    milliseconds,
  };
}

function render(input: {
  rows: PageRow[];
  v1Rows: V1Row[];
  workspaces: Workspace[];
  whole: WholeRead;
  wholeConsistent: WholeRead;
}): Section {
  const { rows, v1Rows, workspaces, whole, wholeConsistent } = input;
  const baseline = whole.cost.readCapacity;
  const percent = (value: number, digits = 1) => `${((value / baseline) * 100).toFixed(digits)} %`;
  const row = (size: number, offset: number | undefined) => {
    const found = rows.find((candidate) => candidate.size === size && candidate.offset === offset);
    if (!found) throw new Error(`no row for ${size} secrets at ${offset ?? 'keyset'}`);
    return found;
  };
  const smallest = Math.min(...SIZES);
  const largest = Math.max(...SIZES);
  const skip = row(TARGET_SIZE, 10_000);
  const share = skip.cost.readCapacity / baseline;
  const firstSmall = row(smallest, 0);
  const firstLarge = row(largest, 0);
  const sameFirst =
    calls(firstSmall.cost) === calls(firstLarge.cost) &&
    firstSmall.cost.readCapacity === firstLarge.cost.readCapacity;
  const keysetRows = SIZES.map((size) => ({ first: row(size, 0), keyset: row(size, undefined) }));
  // O(page): by key from the middle costs what the first page costs, at every size.
  const keysetFlat = keysetRows.every(
    ({ first, keyset }) =>
      calls(first.cost) === calls(keyset.cost) && keyset.cost.readCapacity <= first.cost.readCapacity + 1,
  );
  const describe = (page: PageRow) =>
    `${units(page.cost.readCapacity)} RCU, ${page.cost.sequential} sequential round trips (${calls(page.cost)})`;
  const loads = workspaces
    .map(
      ({ size, loaded }) =>
        `${num(size)} in ${loaded.seconds.toFixed(1)} s (${num(loaded.items)} items with the list bookkeeping)`,
    )
    .join(', ');
  const targets: TargetResult[] = [
    {
      target: `offset 10,000 of ${num(TARGET_SIZE)} secrets costs under 10 % of reading 10,000 items (aim: under 2 %)`,
      pass: share < TARGET_SHARE,
      measured:
        `${units(skip.cost.readCapacity)} RCU vs ${units(baseline)} RCU (${percent(skip.cost.readCapacity, 2)}; ` +
        `aim of 2 % ${share < AIM_SHARE ? 'met' : 'not met'})`,
    },
    {
      target: `a page at offset 0 costs the same at ${num(smallest)} and ${num(largest)} secrets`,
      pass: sameFirst,
      measured: `${num(smallest)}: ${describe(firstSmall)}; ${num(largest)}: ${describe(firstLarge)}`,
    },
    {
      target: 'a keyset page (page[after]) at depth costs O(page): what the first page costs, at every size',
      pass: keysetFlat,
      measured: keysetRows
        .map(
          ({ first, keyset }) =>
            `${num(first.size)}: ${units(keyset.cost.readCapacity)} RCU (offset 0: ${units(first.cost.readCapacity)})`,
        )
        .join('; '),
    },
  ];
  const skipRows = SIZES.filter((size) => size > 10_000).map((size) => row(size, 10_000));
  // Skipping in proportion to the offset: offset 100 costs the same in the two large workspaces.
  const shortSkips = SIZES.filter((size) => size >= TARGET_SIZE).map((size) => row(size, 100));
  const shortSkipFlat = shortSkips.every(
    (page) => Math.abs(page.cost.readCapacity - (shortSkips[0]?.cost.readCapacity ?? 0)) <= 0.5,
  );
  targets.push({
    target:
      `skipping costs in proportion to the offset, not to the workspace: offset 100 costs the same at ` +
      `${shortSkips.map((page) => num(page.size)).join(' and ')} secrets`,
    pass: shortSkipFlat,
    measured: shortSkips.map((page) => `${num(page.size)}: ${units(page.cost.readCapacity)} RCU`).join('; '),
    ...(shortSkipFlat
      ? {}
      : {
          note:
            `CountedLists.locate (lib/store/countedLists.ts) Queries the list's block counts without a Limit, so ` +
            `DynamoDB reads (and bills) a whole page of them — every block of the list, up to 1 MB — whatever the ` +
            `offset: about one block entry per ${BLOCK_SIZE} secrets of the list (at 1,000,000 secrets, ~10,000 ` +
            `entries: about 1 MB, over 100 RCU, for any offset above 0). A Limit of about offset / ${BLOCK_SIZE} + 1 ` +
            `blocks (continuing when deletes have shrunk blocks) would make it cost in proportion to the offset. ` +
            `Offset 10,000 of ${num(TARGET_SIZE)} stays far under its target either way.`,
        }),
  });
  const sequentialFirst = firstLarge.cost.sequential;
  const lastLarge = rows.find((page) => page.size === largest && page.label.startsWith('last'));
  const markdown = [
    `Three workspaces of ${SIZES.map((size) => num(size)).join(', ')} secrets (oauth2, two users, one auth-client), ` +
      `loaded with BatchWriteItem (25 items a batch, 4 batches at a time) from \`bulkSecretItems\` ` +
      `(lib/store/secrets.ts): every item the creates would have left — the secrets in SecretStore's item shape ` +
      `(about ${num(whole.bytes / Math.max(1, whole.items))} bytes as JSON, credentials sealed by the real envelope, ` +
      `43-character tokens as the local OAuth server issues them), ` +
      `the ${LISTS_PER_SECRET} counted lists each secret belongs to (totals and block counts), and the auth-client's usage. ` +
      `Loaded (sealing included) ${loads}. ` +
      `Each page is \`GET …/secrets?page[offset]=N&page[limit]=${PAGE}\` (or \`page[after]=<id>\`) through the real ` +
      `list handler, warm, checked for the exact ids, \`meta.total\` and (by key) a \`links.next\` that goes on by key. ` +
      `**calls** are DynamoDB requests (billed); **sequential** counts the round trips a request waits for ` +
      `(calls sent together count once). Latency: median of ${TIMED_RUNS} runs in process, DynamoDB Local in memory ` +
      `on the same machine.`,
    '',
    table(
      ['secrets', 'page', 'calls', 'sequential', 'RCU', 'vs reading 10,000 items', 'latency (median)'],
      rows.map((page) => [
        num(page.size),
        page.label,
        calls(page.cost),
        String(page.cost.sequential),
        units(page.cost.readCapacity),
        percent(page.cost.readCapacity, 2),
        ms(median(page.latencies)),
      ]),
    ),
    '',
    `Offsets 100 and 10,000 are past the end of ${num(smallest)} secrets, so that workspace has offset 0, its last ` +
      `page and a page by key.`,
    '',
    `The v1 (Barbican) plain list, \`GET /v1/secrets?offset=N&limit=${PAGE}\` through the real v1 list handler, ` +
      `in the same workspace with ${num(TARGET_SIZE)} v1 secrets (64-byte text payloads, no expiration: ` +
      `loaded the same way in ${(v1Rows[0]?.loadSeconds ?? NaN).toFixed(1)} s, counted in the workspace's v1 list). ` +
      `Its page comes from the list index's projection alone (no item read); the total and whether any secret can ` +
      `have expired from the v1 lists' totals (one BatchGetItem):`,
    '',
    table(
      ['v1 secrets', 'page', 'calls', 'sequential', 'RCU', 'vs reading 10,000 items', 'latency (median)'],
      v1Rows.map((page) => [
        num(TARGET_SIZE),
        page.label,
        calls(page.cost),
        String(page.cost.sequential),
        units(page.cost.readCapacity),
        percent(page.cost.readCapacity, 2),
        ms(median(page.latencies)),
      ]),
    ),
    '',
    table(
      [
        `reading 10,000 whole items of the ${num(TARGET_SIZE)}: Query on the base table, Limit 10,000`,
        'calls',
        'RCU',
        'time',
      ],
      [
        ['eventually consistent (the baseline)', calls(whole.cost), units(baseline), ms(whole.milliseconds)],
        [
          'strongly consistent',
          calls(wholeConsistent.cost),
          units(wholeConsistent.cost.readCapacity),
          ms(wholeConsistent.milliseconds),
        ],
      ],
    ),
    '',
    `**Offset 10,000 of ${num(TARGET_SIZE)} costs ${percent(skip.cost.readCapacity, 2)} of reading 10,000 items ` +
      `(${units(skip.cost.readCapacity)} RCU against ${units(baseline)}): target under 10 % — ` +
      `${share < TARGET_SHARE ? 'pass' : 'miss'}; aim under 2 % — ${share < AIM_SHARE ? 'met' : 'not met'}.** ` +
      `Before counted lists (the report of commit 0eb7f5d) every page of ${num(TARGET_SIZE)} secrets, offset 0 ` +
      `included, cost ${units(BEFORE.readCapacity)} RCU (${BEFORE.calls}): ` +
      `${((BEFORE.readCapacity / BEFORE.baseline) * 100).toFixed(1)} % of the same baseline.`,
    '',
    `What a page reads now (lib/store/countedLists.ts, and \`list()\` in lib/store/secrets.ts). Every list (the ` +
      `workspace's, and one per filter combination) has a total item, its exact member count, and block items that ` +
      `cut the id (creation) order into blocks of about ${BLOCK_SIZE} and count their members; each secret write ` +
      `updates them in the same TransactWriteItems as the secret.`,
    '',
    `- **Offset 0 and \`page[after]\`**: a strongly consistent GetItem of the total (\`meta.total\`, 1 RCU), ` +
      `one Query of the filter's KEYS_ONLY index per state partition (${STATE_PARTITIONS} without filter[state], ` +
      `merged by id; here every secret is ready, so the others are empty) for the page's keys and one more (is ` +
      `there a next page?), from the start or just after the given id, then one BatchGetItem of the page's ` +
      `${PAGE} items. Nothing in it ` +
      `depends on the list's size or on how deep the key is: ${describe(firstSmall)} at ${num(smallest)}, ` +
      `${describe(firstLarge)} at ${num(largest)}.` +
      (sequentialFirst > 2
        ? ` The request waits for the three in turn: \`list()\` awaits the total before it starts the index ` +
          `Query; started beside it, a page would wait for two round trips.`
        : ''),
    `- **Offset N**: the same, plus one Query of the list's block counts (sent beside the total's GetItem), ` +
      `which finds the block holding N; the index Queries then start at that block and skip at most ` +
      `${BLOCK_SIZE - 1} keys before the page. ` +
      skipRows
        .map(
          (page, index) =>
            `${index === 0 ? 'At' : 'at'} ${num(page.size)} secrets offset 10,000 costs ` +
            `${units(page.cost.readCapacity)} RCU, ` +
            `${units(page.cost.readCapacity - row(page.size, 0).cost.readCapacity)} more than offset 0`,
        )
        .join('; ') +
      `; the last page of ${num(largest)} costs ${units(lastLarge?.cost.readCapacity ?? NaN)} RCU. ` +
      (shortSkipFlat
        ? `Skipping grows with the offset, by about one block entry per ${BLOCK_SIZE} secrets skipped, and not ` +
          `with the workspace.`
        : `Skipping costs a small fraction of reading the keys, but it grows with the list rather than with the ` +
          `offset: offset 100 costs ${shortSkips.map((page) => `${units(page.cost.readCapacity)} RCU at ${num(page.size)}`).join(' and ')}, ` +
          `because the block counts are read a whole Query page at a time (every block of the list, up to 1 MB; ` +
          `see the target's note above).`),
    `- A walk by key (\`page[after]\`, which \`links.next\` keeps using once a client does) never skips or repeats a ` +
      `secret while the list changes, and is the way to read a whole large list.`,
  ].join('\n');
  return { title: 'Offset cost growth (100, 20,000 and 100,000 secrets)', markdown, targets };
}
