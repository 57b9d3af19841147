import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { handler as publishEvents } from '../functions/publishEvents';
import { provideServices, type Services } from '../lib/services';
import type { AuditRepository } from '../lib/store/ports';
import { createWebhook } from '../lib/webhooks/useCases';
import { streamRecords } from '../test/support/streams';
import { idOf, secretsApi } from './api';
import { startHandlerStack, type HandlerStack } from './handlerStack';
import { ms, num, quantile, since, table, units, type Section } from './stats';
import { createBenchWorld, inParallel } from './world';

/**
 * What the audit trail and events add per request: capacity units counted at the SDK boundary (as
 * AWS bills them, transactions at 2 WCU per KB) and warm latency of the real handlers in process,
 * with the audit trail as it is and with it switched off (a store that writes nothing, for this
 * comparison only). Events add no write to a request (the event rides on the secret's own item);
 * what they cost is the stream's publishing, measured per event with and without a webhook.
 */

const POPULATION = 50;
const ITERATIONS = 200;
const WARM_UP = 20;

const noAudit: AuditRepository = {
  put: async () => {},
  list: async () => ({ records: [], next: undefined }),
};

interface Measured {
  readonly p50: number;
  readonly p95: number;
  readonly writeCapacity: number;
  readonly calls: number;
}

export async function lifecycleSection(): Promise<Section> {
  // Transactions billed as AWS bills them (read before they run: the one transaction here is the
  // publisher's, timed per batch, not per request).
  const stack = await startHandlerStack({}, { billTransactions: true });
  try {
    const world = await createBenchWorld(stack.services);
    const api = secretsApi(stack, world.workspaceId, world.admin.apiKey);
    const population = await inParallel(Array.from({ length: POPULATION }), 4, async (_, index) =>
      idOf(await api.create({ credentials: { api_key: `key-${index}` } }, world.otherClientId)),
    );
    const audited = stack.services;
    const unaudited: Services = { ...audited, audit: noAudit };
    const operations: Array<[string, (index: number) => Promise<unknown>]> = [
      ['get', (index) => api.get(population[index % POPULATION] ?? '')],
      ['list, limit 10', () => api.list({ limit: 10 })],
      ['patch (name)', (index) => api.patch(population[index % POPULATION] ?? '', { name: `n${index}` })],
    ];
    const rows: string[][] = [];
    for (const [name, call] of operations) {
      const off = await measure(stack, unaudited, call);
      const on = await measure(stack, audited, call);
      rows.push([
        name,
        `${ms(off.p50)} / ${ms(off.p95)}`,
        `${ms(on.p50)} / ${ms(on.p95)}`,
        `${on.p50 >= off.p50 ? '+' : ''}${ms(on.p50 - off.p50)}`,
        units(off.writeCapacity),
        units(on.writeCapacity),
        `+${num(on.calls - off.calls, 1)}`,
      ]);
    }
    provideServices(audited);
    const publishing = await measurePublishing(stack, world.tenantId, api.create, world.otherClientId);
    return {
      title: 'What the audit trail and events add per request',
      markdown: [
        `Warm, in process, ${ITERATIONS} calls each after ${WARM_UP} to warm up, one at a time; capacity units per request`,
        'as AWS bills them (the audit record is about 0.5 KB: 1 WCU).',
        '',
        table(
          [
            'request',
            'latency p50 / p95, no audit',
            'with audit',
            'audit adds (p50)',
            'WCU, no audit',
            'WCU, with audit',
            'round trips added',
          ],
          rows,
        ),
        '',
        'Events add nothing to the request: the event is an attribute of the write it describes. Publishing',
        '(the stream handler, off the request path) per event:',
        '',
        table(
          ['webhooks', 'events', 'WCU per event', 'ms per event'],
          publishing.map((row) => [
            String(row.webhooks),
            String(row.events),
            units(row.writeCapacity / row.events),
            ms(row.ms / row.events),
          ]),
        ),
        '',
        'Per event: the event, its id and the workspace counter in one transaction (3 small items, 6 WCU',
        'billed as a transaction); per webhook that wants it, its delivery (about 1 KB) and the mark that',
        'its job is queued.',
      ].join('\n'),
      targets: [],
    };
  } finally {
    await stack.stop();
  }
}

async function measure(
  stack: HandlerStack,
  services: Services,
  call: (index: number) => Promise<unknown>,
): Promise<Measured> {
  provideServices(services);
  for (let index = 0; index < WARM_UP; index++) await call(index);
  stack.take();
  const latencies: number[] = [];
  for (let index = 0; index < ITERATIONS; index++) {
    const start = performance.now();
    await call(WARM_UP + index);
    latencies.push(since(start));
  }
  const cost = stack.take();
  const calls = Object.values(cost.dynamoCalls).reduce((sum, count) => sum + count, 0);
  return {
    p50: quantile(latencies, 0.5),
    p95: quantile(latencies, 0.95),
    writeCapacity: cost.writeCapacity / ITERATIONS,
    calls: calls / ITERATIONS,
  };
}

async function measurePublishing(
  stack: HandlerStack,
  tenantId: string,
  create: (attributes: Record<string, unknown>, authClientId: string) => Promise<unknown>,
  authClientId: string,
) {
  const rows: Array<{ webhooks: number; events: number; writeCapacity: number; ms: number }> = [];
  for (const webhooks of [0, 1]) {
    if (webhooks > 0) {
      await createWebhook(stack.services, tenantId, { url: 'http://127.0.0.1:9/hooks' });
    }
    // Everything the stream holds so far is published once, outside the measurement.
    await publishEvents({ Records: await streamRecords(stack) } as DynamoDBStreamEvent, {} as Context);
    const before = (await streamRecords(stack)).length;
    for (let index = 0; index < 20; index++)
      await create({ credentials: { api_key: `e${index}` } }, authClientId);
    const fresh = (await streamRecords(stack)).slice(before);
    stack.take();
    const start = performance.now();
    const summary = await publishEvents({ Records: fresh } as DynamoDBStreamEvent, {} as Context);
    const elapsed = since(start);
    const cost = stack.take();
    rows.push({ webhooks, events: summary.events, writeCapacity: cost.writeCapacity, ms: elapsed });
  }
  return rows;
}
