import autocannon from 'autocannon';
import { startLocalServer, type LocalServer } from '../test/support/server';
import { listQueryString, secretDocument } from './api';
import { ms, num, since, table, type Section } from './stats';
import { createBenchWorld, type BenchWorld } from './world';

/**
 * Section 4b: HTTP throughput against the real local server (`npm start`'s program: DynamoDB Local
 * on disk + serverless-offline running the same handlers) on loopback, with autocannon, each run
 * bounded in time.
 */

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
    return render(rows, startSeconds);
  } finally {
    await server.stop();
  }
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

function render(rows: HttpRow[], startSeconds: number): Section {
  const markdown = [
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
  return { title: 'HTTP throughput (local server)', markdown, targets: [] };
}
