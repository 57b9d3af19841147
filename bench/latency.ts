import type { OAuthServer } from '../test/support/oauthServer';
import { idOf, oauth2Credentials, secretsApi, type SecretsApi } from './api';
import { startHandlerStack } from './handlerStack';
import { ms, num, quantile, since, table, type Section } from './stats';
import { v1Api, type V1Api } from './v1';
import { createBenchWorld, inParallel, mintRefreshTokens, type BenchWorld } from './world';

/**
 * Section 4a: handler-level latency, warm, in process: the real handlers through the middy chain
 * on the embedded DynamoDB, at concurrency 1 and 8. Each run is bounded in count and time.
 */

const POPULATION = 300;
const ITERATIONS = 300;
const MAX_SECONDS = 5;
const WARM_UP = 20;
const CONCURRENCIES = [1, 8];

interface Operation {
  readonly name: string;
  /** Makes what `iterations` calls by `concurrency` workers need; returns the call for (worker, i). */
  setUp(
    iterations: number,
    concurrency: number,
  ): Promise<(worker: number, index: number) => Promise<unknown>>;
}

export interface LatencyRow {
  readonly operation: string;
  readonly concurrency: number;
  readonly iterations: number;
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export async function latencySection(oauth: OAuthServer): Promise<Section> {
  const stack = await startHandlerStack();
  try {
    const world = await createBenchWorld(stack.services, oauth);
    const api = secretsApi(stack, world.workspaceId, world.admin.apiKey);
    const population = await inParallel(Array.from({ length: POPULATION }), 4, async (_, index) =>
      idOf(await api.create({ credentials: { api_key: `key-${index}` } }, world.otherClientId)),
    );
    const v1Operations = await v1Setup(v1Api(stack, world.workspaceId, world.admin.apiKey));
    const rows: LatencyRow[] = [];
    for (const operation of [...operations(api, world, population, oauth), ...v1Operations]) {
      for (const concurrency of CONCURRENCIES) {
        rows.push(await runOperation(operation, concurrency));
      }
    }
    return render(rows);
  } finally {
    await stack.stop();
  }
}

async function runOperation(operation: Operation, concurrency: number): Promise<LatencyRow> {
  const call = await operation.setUp(ITERATIONS + WARM_UP, concurrency);
  let started = 0;
  const latencies: number[] = [];
  const deadline = performance.now() + MAX_SECONDS * 1000;
  let measuredFrom = 0;
  const worker = async (workerIndex: number) => {
    while (started < ITERATIONS + WARM_UP && performance.now() < deadline) {
      const index = started++;
      if (index === WARM_UP) measuredFrom = performance.now();
      const start = performance.now();
      await call(workerIndex, index);
      if (index >= WARM_UP) latencies.push(since(start));
    }
  };
  const begin = performance.now();
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
  const seconds = since(measuredFrom || begin) / 1000;
  return {
    operation: operation.name,
    concurrency,
    iterations: latencies.length,
    seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: Math.max(...latencies),
  };
}

function operations(
  api: SecretsApi,
  world: BenchWorld,
  population: string[],
  oauth: OAuthServer,
): Operation[] {
  const pick = (index: number) => population[index % population.length] ?? '';
  const created: string[] = [];
  return [
    { name: 'list, limit 10', setUp: async () => () => api.list({ limit: 10 }) },
    { name: 'list, limit 100', setUp: async () => () => api.list({ limit: 100 }) },
    {
      name: 'list, limit 10, both filters',
      setUp: async () => () => api.list({ limit: 10, user: world.admin.id, authClient: world.otherClientId }),
    },
    { name: 'get', setUp: async () => (_, index) => api.get(pick(index)) },
    {
      name: 'patch (name)',
      setUp: async () => (_, index) => api.patch(pick(index), { name: `Renamed ${index}` }),
    },
    {
      name: 'create',
      setUp: async () => async () => {
        created.push(idOf(await api.create({ credentials: { api_key: 'new' } }, world.otherClientId)));
      },
    },
    {
      name: 'delete',
      setUp: async (iterations) => {
        while (created.length < iterations) {
          created.push(idOf(await api.create({ credentials: { api_key: 'new' } }, world.otherClientId)));
        }
        const victims = created.splice(0, iterations);
        return (_, index) => api.delete(victims[index] ?? '');
      },
    },
    {
      // One secret per worker, refreshed over and over: the provider rotates the refresh token
      // each time and the service stores the new one. Two workers on one secret would coalesce.
      name: 'refresh (local OAuth server)',
      setUp: async (_, concurrency) => {
        const tokens = await mintRefreshTokens(oauth, concurrency);
        const secrets = await Promise.all(
          tokens.map(async (token) =>
            idOf(await api.create({ credentials: oauth2Credentials(token) }, world.providerClientId)),
          ),
        );
        return (worker) => api.refresh(secrets[worker] ?? '');
      },
    },
  ];
}

/** The v1 reads, on v1 secrets of the same workspace (as many as the v2 population). */
async function v1Setup(api: V1Api): Promise<Operation[]> {
  const ids = await inParallel(Array.from({ length: POPULATION }), 4, (_, index) => api.create(index));
  const pick = (index: number) => ids[index % ids.length] ?? '';
  return [
    { name: 'v1 list, limit 10', setUp: async () => () => api.list(10) },
    { name: 'v1 get (metadata)', setUp: async () => (_, index) => api.get(pick(index)) },
    { name: 'v1 payload', setUp: async () => (_, index) => api.payload(pick(index)) },
  ];
}

function render(rows: LatencyRow[]): Section {
  const markdown = [
    `The real handlers in process (startHandlerStack: middy chain, stores, envelope) on the embedded ` +
      `DynamoDB, warm, in a workspace of ${POPULATION} secrets; up to ${ITERATIONS} measured calls per row ` +
      `after ${WARM_UP} unmeasured ones, at most ${MAX_SECONDS} s. Concurrency 8 means 8 calls in flight in ` +
      `one process; Lambda would give each its own container, so here the latency at 8 shows queueing on ` +
      `one event loop and calls/s what one process sustains. The embedded DynamoDB works on the same ` +
      `thread, so its time is inside these numbers; on AWS a DynamoDB round trip is a network call of a few ` +
      `milliseconds instead. Refresh includes the token request to the local OAuth server (oidc-provider, ` +
      `another process). The v1 rows use ${POPULATION} v1 secrets of the same workspace.`,
    '',
    table(
      ['operation', 'concurrency', 'calls', 'p50', 'p99', 'max', 'calls/s'],
      rows.map((row) => [
        row.operation,
        String(row.concurrency),
        String(row.iterations),
        ms(row.p50),
        ms(row.p99),
        ms(row.max),
        num(row.iterations / row.seconds),
      ]),
    ),
  ].join('\n');
  return { title: 'Handler latency (in process)', markdown, targets: [] };
}
