import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTableCommand,
  type CreateTableCommandInput,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import tableDefinition from '../lib/store/table-definition.json';
import { LOCAL_CREDENTIALS } from './dynamoEngine';

/**
 * The pieces local mode and the tests share: the table created from the same definition
 * serverless.yml deploys, and the environment the handlers need to find it. The engine itself
 * (DynamoDB Local) is started by ./dynamoEngine.
 */

export { LOCAL_CREDENTIALS, startDynamo, type DynamoEngine } from './dynamoEngine';

export const LOCAL_TABLE_NAME = 'auth-secrets-local';

const definition = tableDefinition as Omit<CreateTableCommandInput, 'TableName' | 'BillingMode'>;

/**
 * Creates the table unless it exists, and adds the indexes an older local table lacks (a data
 * directory made before an index joined the definition), as an UpdateTable on AWS would.
 */
export async function ensureTable(
  endpoint: string,
  tableName: string,
  options: { stream?: boolean } = {},
): Promise<void> {
  // Tests that publish nothing leave the stream out: DynamoDB Local keeps every stream's records,
  // and a run makes hundreds of tables on one engine.
  const { stream = true } = options;
  const { StreamSpecification, ...withoutStream } = definition;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  try {
    const existing = await describe(client, tableName);
    if (existing) {
      await addMissingIndexes(client, tableName, existing);
      if (stream) await enableStream(client, tableName, existing);
    } else
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          ...withoutStream,
          ...(stream ? { StreamSpecification } : {}),
        }),
      );
  } finally {
    client.destroy();
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** A table made before events were captured from its stream gets the stream. */
async function enableStream(client: DynamoDBClient, tableName: string, table: TableDescription) {
  if (table.StreamSpecification?.StreamEnabled) return;
  console.warn(`The local table ${tableName} has no stream (events are captured from it): adding it.`);
  await client.send(
    new UpdateTableCommand({ TableName: tableName, StreamSpecification: definition.StreamSpecification }),
  );
}

/** DynamoDB (and DynamoDB Local) builds one new index of a table at a time, backfilling it. */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, table: TableDescription) {
  const present = new Set(table.GlobalSecondaryIndexes?.map((index) => index.IndexName));
  const missing = (definition.GlobalSecondaryIndexes ?? []).filter((index) => !present.has(index.IndexName));
  for (const index of missing) {
    console.warn(`The local table ${tableName} lacks the index ${index.IndexName}: adding it.`);
    const names = new Set(index.KeySchema?.map((key) => key.AttributeName));
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: definition.AttributeDefinitions?.filter((attribute) =>
          names.has(attribute.AttributeName),
        ),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await untilIndexActive(client, tableName, index.IndexName ?? '');
  }
}

async function untilIndexActive(client: DynamoDBClient, tableName: string, indexName: string) {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const table = await describe(client, tableName);
    const index = table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
    if (index?.IndexStatus === 'ACTIVE') return;
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  throw new Error(`the index ${indexName} of ${tableName} did not become ACTIVE within 10 minutes`);
}

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
    // As Lambda sets it for functions without provisioned concurrency: Powertools tells a cold start
    // by it (cold_start in logs, the ColdStart metric). serverless-offline hands AWS_* variables on.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ENDPOINT_URL_DYNAMODB: options.dynamoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
  };
}
