import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DataKey, DataKeyProvider, EncryptionContext } from '../lib/crypto/dataKeys';

/** What one operation cost, counted (not timed). */
export interface CostCounters {
  /** DynamoDB calls by operation name, e.g. { BatchGetItem: 1, Query: 1 }. */
  dynamoCalls: Record<string, number>;
  /**
   * Sequential round trips: calls that start while another is in flight (a GetItem sent beside a
   * Query) count once. What latency pays for, where `dynamoCalls` is what is billed per request.
   */
  sequential: number;
  readCapacity: number;
  writeCapacity: number;
  kmsCalls: number;
}

export const emptyCounters = (): CostCounters => ({
  dynamoCalls: {},
  sequential: 0,
  readCapacity: 0,
  writeCapacity: 0,
  kmsCalls: 0,
});

interface ConsumedCapacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

const READ_OPERATIONS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan']);

/** DynamoDB calls in flight, across every instrumented client (one stack runs at a time). */
let inFlight = 0;

/** Reads an item as it is now (outside the counts), for its size. */
export type ItemReader = (
  tableName: string,
  key: Record<string, unknown>,
) => Promise<Record<string, unknown> | undefined>;

/**
 * Counts every DynamoDB call the client makes and asks each for ReturnConsumedCapacity=TOTAL,
 * adding the units it reports. Installed at the SDK boundary, so the code under measurement is
 * the production code, unchanged.
 *
 * DynamoDB Local reports too little for TransactWriteItems (2 units for a transaction of four
 * small updates, where AWS bills 8). With `readItem`, a transaction's write units are computed
 * as AWS bills them instead: 2 WCU per KB (rounded up) of each item it puts, updates, deletes
 * or checks, the larger of the item before and after (read just before the transaction, outside
 * the counts; this adds reads, so only the cost section uses it, not the timed ones).
 */
export function instrumentDynamo(
  client: DynamoDBClient,
  counters: () => CostCounters,
  readItem?: ItemReader,
): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const billed =
        operation === 'TransactWriteItems' && readItem
          ? await transactionWriteUnits(input, readItem)
          : undefined;
      if (inFlight === 0) counters().sequential++;
      inFlight++;
      let result: Awaited<ReturnType<typeof next>>;
      try {
        result = await next(args);
      } finally {
        inFlight--;
        // A call that fails (a conditional write whose condition does not hold) is a round trip too.
        const current = counters();
        current.dynamoCalls[operation] = (current.dynamoCalls[operation] ?? 0) + 1;
      }
      const current = counters();
      const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      const consumed = output.ConsumedCapacity;
      if (billed !== undefined) {
        current.writeCapacity += billed;
        return result;
      }
      for (const entry of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = entry.CapacityUnits ?? 0;
        if (READ_OPERATIONS.has(operation)) current.readCapacity += entry.ReadCapacityUnits ?? units;
        else current.writeCapacity += entry.WriteCapacityUnits ?? units;
      }
      return result;
    },
    { step: 'initialize', name: 'costCounter' },
  );
}

type TransactAction = { TableName?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown> };

/** What AWS bills for a TransactWriteItems (see instrumentDynamo). */
async function transactionWriteUnits(input: Record<string, unknown>, readItem: ItemReader): Promise<number> {
  const actions = (input.TransactItems ?? []) as Array<Record<string, TransactAction | undefined>>;
  const units = await Promise.all(
    actions.map(async (action) => {
      const { Put: put, Update: update, Delete: remove, ConditionCheck: check } = action;
      const target = put ?? update ?? remove ?? check;
      if (!target?.TableName) return 0;
      const key = put?.Item ? { pk: put.Item.pk, sk: put.Item.sk } : (target.Key ?? {});
      const before = await readItem(target.TableName, key);
      const size = Math.max(before ? itemBytes(before) : 0, put?.Item ? itemBytes(put.Item) : 0);
      return 2 * Math.max(1, Math.ceil(size / 1024));
    }),
  );
  return units.reduce((sum, value) => sum + value, 0);
}

/**
 * An item's size as DynamoDB counts it: each attribute's name and value; strings and binaries
 * by their bytes, numbers about one byte per two digits plus one, maps and lists 3 bytes plus
 * 1 per element.
 */
export function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce(
    (sum, [name, value]) => (value === undefined ? sum : sum + Buffer.byteLength(name) + valueBytes(value)),
    0,
  );
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number' || typeof value === 'bigint') {
    return Math.ceil(String(value).replace(/[-.]/g, '').replace(/^0+/, '').length / 2) + 1;
  }
  if (value === null || typeof value === 'boolean') return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set)
    return [...(value as Set<unknown>)].reduce<number>((sum, member) => sum + valueBytes(member), 0);
  if (Array.isArray(value)) return value.reduce<number>((sum, member) => sum + 1 + valueBytes(member), 3);
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).reduce(
      (sum, [name, member]) =>
        member === undefined ? sum : sum + 1 + Buffer.byteLength(name) + valueBytes(member),
      3,
    );
  }
  return 0;
}

/** Wraps a data key provider (KMS in AWS) and counts its calls, which are KMS calls in AWS. */
export function countingProvider(inner: DataKeyProvider, counters: () => CostCounters): DataKeyProvider {
  return {
    generateDataKey(context: EncryptionContext): Promise<DataKey> {
      counters().kmsCalls++;
      return inner.generateDataKey(context);
    },
    unwrapDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
      counters().kmsCalls++;
      return inner.unwrapDataKey(wrapped, context);
    },
  };
}

export function totalCalls(counters: CostCounters): number {
  return Object.values(counters.dynamoCalls).reduce((sum, count) => sum + count, 0);
}
