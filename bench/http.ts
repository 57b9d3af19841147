import autocannon from 'autocannon';
import { startLocalServer, type LocalServer } from '../test/support/server';
import { listQueryString, secretDocument } from './api';
import { loadSecrets, loadV1Secrets } from './bulkLoad';
import { median, ms, num, since, table, type Section, type TargetResult } from './stats';
import { createBenchWorld, type BenchWorld } from './world';

/**
 * Section 4b: the real local server (`npm start`'s program: DynamoDB Local on disk +
 * serverless-offline running the same handlers) on loopback. First the list latency targets: the
 * median of sequential list requests in a small and a large workspace, v2 and v1. Then
 * throughput with autocannon, each run bounded in time.
 */

/** Workspace sizes the list latency targets compare, and how much slower the large one may answer. */
const SMALL = 100;
const LARGE = 20_000;
const TARGET_RATIO = 1.5;
const LIST_WARM_UP = 5;
const LIST_REQUESTS = 30;

const SECONDS = 10;
const CONNECTIONS = 8;
/** Warm-up requests per connection: serverless-offline starts a worker (a cold container) per concurrent request. */
const WARM_UP_PER_CONNECTION = 5;
const WARM_UP_MAX_SECONDS = 30;
const POPULATION = 100;

interface HttpRow {
  readonly name: string;
  readonly result: autocannon.Result;
}

export async function httpSection(): Promise<Section> {
  const startedAt = performance.now();
  const server = await startLocalServer();
  const startSeconds = since(startedAt) / 1000;
  try {
    const listLatency = await measureListLatency(server);
    const world = await createBenchWorld(server.stack.services);
    const headers = {
      'x-auth-token': world.admin.apiKey,
      accept: 'application/vnd.api+json',
    };
    const secretId = await populate(server, world, headers);
    const base = `${server.baseUrl}/v2/workspaces/${world.workspaceId}/secrets`;
    const targets: Array<{ name: string; options: Partial<autocannon.Options> }> = [
      {
        name: `GET list (limit 10, ${POPULATION} secrets)`,
        options: { url: `${base}?${listQueryString({ limit: 10 })}` },
      },
      { name: 'GET one secret', options: { url: `${base}/${secretId}` } },
      {
        name: 'POST create',
        options: {
          url: base,
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/vnd.api+json' },
          body: JSON.stringify(secretDocument({ credentials: { api_key: 'k' } }, world.otherClientId)),
        },
      },
    ];
    const rows: HttpRow[] = [];
    for (const target of targets) {
      const options = { headers, ...target.options, url: target.options.url ?? base };
      await warmUp(options);
      rows.push({ name: target.name, result: await load({ ...options, duration: SECONDS }) });
    }
    return render(rows, startSeconds, listLatency);
  } finally {
    await server.stop();
  }
}

interface ListLatency {
  readonly api: 'v2' | 'v1';
  readonly request: string;
  /** Medians by workspace size. */
  readonly small: number;
  readonly large: number;
}

interface ListRequest {
  readonly api: 'v1' | 'v2';
  readonly size: number;
  readonly url: string;
  readonly headers: Record<string, string>;
  /** Whether the answer is the expected page with the exact total. */
  check(body: unknown): boolean;
}

interface ListLatencyResult {
  readonly rows: ListLatency[];
  readonly loadSeconds: number;
  readonly loadedItems: number;
}

/**
 * Two workspaces, of SMALL and LARGE secrets of each API, bulk-loaded into the server's own table
 * (the same engine, on disk); then LIST_REQUESTS rounds of one page request per API and size, one
 * request at a time, after LIST_WARM_UP unmeasured rounds. Taking turns spreads whatever else the
 * machine does evenly over both sizes.
 */
async function measureListLatency(server: LocalServer): Promise<ListLatencyResult> {
  const { services } = server.stack;
  const started = performance.now();
  let loadedItems = 0;
  const workspaces = [];
  for (const size of [SMALL, LARGE]) {
    const world = await createBenchWorld(services);
    const v2 = await loadSecrets(
      services,
      {
        tenantId: world.tenantId,
        workspaceId: world.workspaceId,
        userIds: [world.admin.id, world.editor.id],
        authClientId: world.oauth2ClientId,
      },
      size,
    );
    const v1 = await loadV1Secrets(
      services,
      { tenantId: world.tenantId, workspaceId: world.workspaceId, creatorId: world.admin.id },
      size,
    );
    loadedItems += v2.items + v1.items;
    workspaces.push({ size, world, v2First: v2.ids.slice(0, 10), v1First: v1.ids.slice(0, 10) });
  }
  const loadSeconds = since(started) / 1000;
  const requests = workspaces.flatMap(({ size, world, v2First, v1First }): ListRequest[] => [
    {
      api: 'v2',
      size,
      url: `${server.baseUrl}/v2/workspaces/${world.workspaceId}/secrets?page[limit]=10`,
      headers: { 'x-auth-token': world.admin.apiKey, accept: 'application/vnd.api+json' },
      check: (body: unknown) => {
        const { data, meta } = body as { data: Array<{ id: string }>; meta: { total: number } };
        return meta.total === size && data.map((secret) => secret.id).join() === v2First.join();
      },
    },
    {
      api: 'v1',
      size,
      url: `${server.baseUrl}/v1/secrets?limit=10`,
      headers: {
        'x-auth-token': world.admin.apiKey,
        'x-project-id': world.workspaceId,
        accept: 'application/json',
      },
      check: (body: unknown) => {
        const { secrets, total } = body as { secrets: Array<{ secret_ref: string }>; total: number };
        const ids = secrets.map((secret) => secret.secret_ref.replace(/^.*\//, ''));
        return total === size && ids.join() === v1First.join();
      },
    },
  ]);
  const timings = requests.map(() => [] as number[]);
  for (let round = 0; round < LIST_WARM_UP + LIST_REQUESTS; round++) {
    for (const [index, request] of requests.entries()) {
      const start = performance.now();
      const response = await fetch(request.url, {
        headers: request.headers,
        signal: AbortSignal.timeout(30_000),
      });
      const body: unknown = await response.json();
      const took = since(start);
      if (response.status !== 200 || !request.check(body)) {
        throw new Error(
          `${request.url} (${request.size} secrets) answered ${response.status}: not the expected page`,
        );
      }
      if (round >= LIST_WARM_UP) timings[index]?.push(took);
    }
  }
  const medianOf = (api: 'v1' | 'v2', size: number) =>
    median(timings[requests.findIndex((request) => request.api === api && request.size === size)] ?? []);
  return {
    rows: [
      {
        api: 'v2',
        request: 'GET /v2/workspaces/{ws}/secrets?page[limit]=10',
        small: medianOf('v2', SMALL),
        large: medianOf('v2', LARGE),
      },
      {
        api: 'v1',
        request: 'GET /v1/secrets?limit=10 (X-Project-Id)',
        small: medianOf('v1', SMALL),
        large: medianOf('v1', LARGE),
      },
    ],
    loadSeconds,
    loadedItems,
  };
}

function listTargets(result: ListLatencyResult): TargetResult[] {
  return result.rows.map((row) => {
    const ratio = row.large / row.small;
    return {
      target:
        `${row.api} list page (limit 10) over HTTP: median at ${num(LARGE)} secrets within ` +
        `${TARGET_RATIO}× of the median at ${num(SMALL)}`,
      pass: ratio <= TARGET_RATIO,
      measured: `${ms(row.large)} vs ${ms(row.small)} (${ratio.toFixed(2)}×)`,
    };
  });
}

async function populate(
  server: LocalServer,
  world: BenchWorld,
  headers: Record<string, string>,
): Promise<string> {
  let first = '';
  for (let index = 0; index < POPULATION; index++) {
    const response = await fetch(`${server.baseUrl}/v2/workspaces/${world.workspaceId}/secrets`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/vnd.api+json' },
      body: JSON.stringify(secretDocument({ credentials: { api_key: `key-${index}` } }, world.otherClientId)),
    });
    if (response.status !== 201)
      throw new Error(`create answered ${response.status}: ${await response.text()}`);
    const body = (await response.json()) as { data: { id: string } };
    first ||= body.data.id;
  }
  return first;
}

/**
 * CONNECTIONS concurrent request loops, so that serverless-offline has as many warm workers as the
 * measurement will keep busy (each started worker is a cold start: seconds on a busy machine).
 */
async function warmUp(options: autocannon.Options): Promise<void> {
  const deadline = performance.now() + WARM_UP_MAX_SECONDS * 1000;
  const init: RequestInit = {
    method: options.method ?? 'GET',
    headers: (options.headers ?? {}) as Record<string, string>,
    ...(typeof options.body === 'string' ? { body: options.body } : {}),
  };
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let index = 0; index < WARM_UP_PER_CONNECTION && performance.now() < deadline; index++) {
        const response = await fetch(options.url, {
          ...init,
          signal: AbortSignal.timeout(WARM_UP_MAX_SECONDS * 1000),
        });
        await response.arrayBuffer();
      }
    }),
  );
}

function load(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ connections: CONNECTIONS, pipelining: 1, timeout: 10, ...options });
}

function render(rows: HttpRow[], startSeconds: number, listLatency: ListLatencyResult): Section {
  const markdown = [
    `**List latency by workspace size.** Two workspaces of ${num(SMALL)} and ${num(LARGE)} secrets of each API ` +
      `(auth-secrets and v1 secrets), bulk-loaded into the server's own table on disk (${num(listLatency.loadedItems)} ` +
      `items, with their counted lists, in ${listLatency.loadSeconds.toFixed(1)} s; see 'Offset cost growth' for ` +
      `how). Then ${LIST_REQUESTS} rounds, after ${LIST_WARM_UP} unmeasured ones, of one request per API and ` +
      `size, one at a time (the sizes take turns, so load from elsewhere falls on both alike), each answer ` +
      `checked for the first 10 ids and the exact total. Median over the rounds:`,
    '',
    table(
      [
        'request',
        `${num(SMALL)} secrets`,
        `${num(LARGE)} secrets`,
        'ratio',
        `target (within ${TARGET_RATIO}×)`,
      ],
      listLatency.rows.map((row) => [
        row.request,
        ms(row.small),
        ms(row.large),
        `${(row.large / row.small).toFixed(2)}×`,
        row.large / row.small <= TARGET_RATIO ? 'pass' : '**miss**',
      ]),
    ),
    '',
    '**Throughput.** ' +
      `The local server as \`npm start\` runs it (startLocalServer: DynamoDB Local on disk + serverless-offline, the same ` +
      `handlers, on free 127.0.0.1 ports; it started in ${startSeconds.toFixed(1)} s), loaded by autocannon with ` +
      `${CONNECTIONS} connections for ${SECONDS} s per row, after ${WARM_UP_PER_CONNECTION} warm-up requests on ` +
      `each of ${CONNECTIONS} concurrent loops (serverless-offline starts one worker, a cold container, per ` +
      `concurrent request). This measures ` +
      `the local stack (serverless-offline's Lambda emulation and DynamoDB Local share this machine's cores with the ` +
      `load generator), not AWS: API Gateway and Lambda scale out per request instead.`,
    '',
    table(
      ['request', 'requests/s (mean)', 'p50', 'p99', 'max', 'requests', 'non-2xx', 'errors / timeouts'],
      rows.map(({ name, result }) => [
        name,
        num(result.requests.average, 1),
        ms(result.latency.p50, 0),
        ms(result.latency.p99, 0),
        ms(result.latency.max, 0),
        num(result.requests.total),
        num(result.non2xx),
        `${num(result.errors)} / ${num(result.timeouts)}`,
      ]),
    ),
  ].join('\n');
  return {
    title: 'HTTP: list latency by workspace size, and throughput (local server)',
    markdown,
    targets: listTargets(listLatency),
  };
}
