import {
  DeleteTableCommand,
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../lib/config';
import { createServices, type Services } from '../../lib/services';
import { ensureTable, LOCAL_CREDENTIALS, localEnvironment } from '../../scripts/localStack';

export interface TestStack {
  readonly services: Services;
  /**
   * Every item of the table, raw (marshalled), for tests that check what is stored at rest. The
   * service itself never scans.
   */
  scanTable(): Promise<Array<Record<string, AttributeValue>>>;
  readonly dynamoDb: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The run's shared DynamoDB Local (started once by test/support/globalSetup.ts, in memory), whose
 * endpoint jest hands every worker.
 */
export function sharedDynamoEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    throw new Error(
      'DYNAMODB_ENDPOINT is not set: run the tests through jest, whose globalSetup starts DynamoDB Local',
    );
  }
  return endpoint;
}

/** A table name no other suite uses on the shared engine (3 to 255 characters, as on AWS). */
export function uniqueTableName(purpose = 'test'): string {
  return `auth-secrets-${purpose}-${randomUUID()}`;
}

/**
 * A fresh table of its own on the shared engine, and the services built on it, as a handler
 * would have them. For integration tests.
 */
export async function startTestStack(options: { stream?: boolean } = {}): Promise<TestStack> {
  // Without a stream unless the suite reads it (events): see ensureTable.
  const stack = await stackOn(sharedDynamoEndpoint(), {
    tableName: uniqueTableName(),
    stream: options.stream ?? false,
  });
  return {
    ...stack,
    // The table is the suite's own: dropped with it, so that the run's one engine stays small.
    stop: async () => {
      await stack.dynamoDb
        .send(new DeleteTableCommand({ TableName: stack.tableName }))
        .catch(() => undefined);
      await stack.stop();
    },
  };
}

/** Services on a table of a running engine (the e2e server's), for fixtures and raw reads. */
export async function stackOn(
  endpoint: string,
  options: { tableName: string; keyFile?: string; stream?: boolean },
): Promise<TestStack> {
  const { tableName, keyFile } = options;
  await ensureTable(endpoint, tableName, { stream: options.stream ?? true });
  const env = {
    ...localEnvironment({
      dynamoEndpoint: endpoint,
      keyFile: keyFile ?? join(mkdtempSync(join(tmpdir(), 'auth-secrets-key-')), 'local-kms.key'),
      tableName,
    }),
    // As the run's servers have it (see test/support/lists.ts).
    ...(process.env.LIST_BLOCK_SIZE ? { LIST_BLOCK_SIZE: process.env.LIST_BLOCK_SIZE } : {}),
  };
  const dynamoDb = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const services = createServices(readConfig(env), dynamoDb);
  return {
    services,
    dynamoDb,
    endpoint,
    tableName,
    env,
    scanTable: async () => {
      const items: Array<Record<string, AttributeValue>> = [];
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await dynamoDb.send(
          new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return items;
    },
    stop: async () => {
      dynamoDb.destroy();
    },
  } satisfies TestStack;
}
