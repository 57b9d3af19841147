import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import tableDefinition from '../lib/store/table-definition.json';

/**
 * The pieces local mode and the tests share: the embedded DynamoDB-compatible server (dynalite),
 * the table created from the same definition serverless.yml deploys, and the environment the
 * handlers need to find them.
 */

export const LOCAL_TABLE_NAME = 'auth-secrets-local';

/** Starts dynalite on 127.0.0.1:`port` (0: any free port); with `dataPath`, data persists there. */
export async function startDynamo(
  port: number,
  dataPath?: string,
): Promise<{ server: Server; endpoint: string }> {
  const server = dynalite({ createTableMs: 0, ...(dataPath ? { path: dataPath } : {}) });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite has no TCP address');
  return { server, endpoint: `http://127.0.0.1:${address.port}` };
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => server.close(() => resolveClose()));
}

/** Creates the table unless it exists. */
export async function ensureTable(endpoint: string, tableName: string): Promise<void> {
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    warnOfMissingIndexes(tableName, Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName) ?? []);
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      ...(tableDefinition as Omit<CreateTableCommandInput, 'TableName' | 'BillingMode'>),
    }),
  );
  client.destroy();
}

/**
 * dynalite cannot add an index to an existing table, so a data directory made before an index was
 * added lacks it (the v1 list needs `v1SecretsByWorkspace`). Say so, rather than fail later.
 */
function warnOfMissingIndexes(tableName: string, present: Array<string | undefined>): void {
  const missing = tableDefinition.GlobalSecondaryIndexes.map((index) => index.IndexName).filter(
    (name) => !present.includes(name),
  );
  if (missing.length === 0) return;
  console.warn(
    `The local table ${tableName} predates the index(es) ${missing.join(', ')}: the requests that use them ` +
      'will fail. Move the data directory aside (or set DATA_DIR) to start with a complete table.',
  );
}

/** The SDK insists on credentials even for a local endpoint; these open nothing real. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The environment under which handlers, the admin CLI and tests use the local stack. */
export function localEnvironment(options: { dynamoEndpoint: string; keyFile: string; tableName?: string }) {
  return {
    AUTH_SECRETS_MODE: 'offline',
    TABLE_NAME: options.tableName ?? LOCAL_TABLE_NAME,
    LOCAL_KEY_FILE: options.keyFile,
    // Local OAuth servers (and the tests' one) speak plain http on loopback.
    TOKEN_URL_HTTP_HOSTS: '127.0.0.1,localhost,::1',
    // Local mode runs on the machine's Node (20 here); Lambda runs nodejs22.x.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}
