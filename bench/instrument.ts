import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DataKey, DataKeyProvider, EncryptionContext } from '../lib/crypto/dataKeys';

/** What one operation cost, counted (not timed). */
export interface CostCounters {
  /** DynamoDB calls by operation name, e.g. { BatchGetItem: 1, Query: 1 }. */
  dynamoCalls: Record<string, number>;
  readCapacity: number;
  writeCapacity: number;
  kmsCalls: number;
}

export const emptyCounters = (): CostCounters => ({
  dynamoCalls: {},
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

/**
 * Counts every DynamoDB call the client makes and asks each for ReturnConsumedCapacity=TOTAL,
 * adding the units it reports. Installed at the SDK boundary, so the code under measurement is
 * the production code, unchanged.
 */
export function instrumentDynamo(client: DynamoDBClient, counters: () => CostCounters): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const current = counters();
      current.dynamoCalls[operation] = (current.dynamoCalls[operation] ?? 0) + 1;
      const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      const consumed = output.ConsumedCapacity;
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
