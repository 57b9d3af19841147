import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../../lib/config';
import { createServices, type Services } from '../../lib/services';
import {
  closeServer,
  ensureTable,
  LOCAL_CREDENTIALS,
  localEnvironment,
  startDynamo,
} from '../../scripts/localStack';

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
 * A real embedded DynamoDB server (in memory, on a free port) with the service's table, and the
 * services built on it, as a handler would have them. For integration tests.
 */
export async function startTestStack(): Promise<TestStack> {
  const { server, endpoint } = await startDynamo(0);
  return stackOn(endpoint, server);
}

/** Services pointed at an already running stack (the e2e server's), for fixtures and raw reads. */
export async function stackOn(
  endpoint: string,
  server?: Server,
  keyFile?: string,
  tableName = 'auth-secrets-test',
) {
  await ensureTable(endpoint, tableName);
  const env = localEnvironment({
    dynamoEndpoint: endpoint,
    keyFile: keyFile ?? join(mkdtempSync(join(tmpdir(), 'auth-secrets-key-')), 'local-kms.key'),
    tableName,
  });
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
      if (server) await closeServer(server);
    },
  } satisfies TestStack;
}
