import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../lib/config';
import { LocalDataKeyProvider } from '../lib/crypto/localDataKeys';
import { createServices, provideServices, type Services } from '../lib/services';
import { ensureTable, LOCAL_CREDENTIALS, localEnvironment, startDynamo } from '../scripts/localStack';
import {
  countingProvider,
  emptyCounters,
  instrumentDynamo,
  type CostCounters,
  type ItemReader,
} from './instrument';

/**
 * The real handlers, in process, on a real embedded DynamoDB, with every DynamoDB and KMS-side
 * call counted. `coldStart()` throws the container's state away (new clients, empty caches), as
 * a new Lambda container would start.
 */
export interface HandlerStack {
  services: Services;
  /** DynamoDB Local's endpoint, and the table the handlers use. */
  readonly endpoint: string;
  readonly tableName: string;
  counters: CostCounters;
  /** Resets the counters and returns the previous ones. */
  take(): CostCounters;
  coldStart(): void;
  invoke(handler: LambdaHandler, request: HttpRequest): Promise<HttpAnswer>;
  stop(): Promise<void>;
}

export type LambdaHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

export interface HttpRequest {
  method: string;
  /** Route template, e.g. /v2/workspaces/{workspaceId}/secrets */
  route: string;
  pathParameters: Record<string, string>;
  query?: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent exactly as given (with `content-type: application/json` unless headers say otherwise). */
  rawBody?: string;
}

export interface HttpAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface HandlerStackOptions {
  /**
   * Count transactions' write units as AWS bills them (DynamoDB Local reports too little), at the
   * price of reading their items first: for counts, not for timings (see instrumentDynamo).
   */
  readonly billTransactions?: boolean;
}

export async function startHandlerStack(
  env: Record<string, string> = {},
  options: HandlerStackOptions = {},
): Promise<HandlerStack> {
  const { billTransactions = false } = options;
  // DynamoDB Local in memory: the counts do not depend on where it keeps the data.
  const engine = await startDynamo();
  const { endpoint } = engine;
  await ensureTable(endpoint, 'auth-secrets-bench');
  const keyFile = join(mkdtempSync(join(tmpdir(), 'auth-secrets-bench-')), 'local-kms.key');
  const config = readConfig({
    ...localEnvironment({ dynamoEndpoint: endpoint, keyFile, tableName: 'auth-secrets-bench' }),
    ...env,
  });
  let counters = emptyCounters();
  const current = () => counters;
  const clients: DynamoDBClient[] = [];
  const newClient = () => {
    const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    clients.push(client);
    return client;
  };
  const sizes = DynamoDBDocumentClient.from(newClient());
  const readItem: ItemReader = async (TableName, Key) =>
    (await sizes.send(new GetCommand({ TableName, Key, ConsistentRead: true }))).Item;
  const build = () => {
    const dynamoDb = newClient();
    instrumentDynamo(dynamoDb, current, billTransactions ? readItem : undefined);
    const services = createServices(
      config,
      dynamoDb,
      countingProvider(new LocalDataKeyProvider(keyFile), current),
    );
    provideServices(services);
    return services;
  };
  const stack: HandlerStack = {
    services: build(),
    endpoint,
    tableName: 'auth-secrets-bench',
    get counters() {
      return counters;
    },
    take() {
      const taken = counters;
      counters = emptyCounters();
      return taken;
    },
    coldStart() {
      stack.services = build();
    },
    async invoke(handler, request) {
      const rawPath = request.route.replace(
        /\{(\w+)\}/g,
        (_, name: string) => request.pathParameters[name] ?? '',
      );
      const event = {
        version: '2.0',
        routeKey: `${request.method} ${request.route}`,
        rawPath,
        rawQueryString: request.query ?? '',
        headers: {
          ...(request.body === undefined && request.rawBody === undefined
            ? {}
            : { 'content-type': 'application/json' }),
          ...Object.fromEntries(
            Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
          ),
        },
        pathParameters: request.pathParameters,
        body: request.rawBody ?? (request.body === undefined ? undefined : JSON.stringify(request.body)),
        isBase64Encoded: false,
        requestContext: {
          domainName: 'bench.local',
          http: {
            method: request.method,
            path: rawPath,
            protocol: 'HTTP/1.1',
            sourceIp: '127.0.0.1',
            userAgent: 'bench',
          },
        },
      } as unknown as APIGatewayProxyEventV2;
      const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
      const result = await handler(event, context);
      if (typeof result === 'string') return { statusCode: 200, headers: {}, body: result };
      const text = result.body ?? '';
      return {
        statusCode: result.statusCode ?? 200,
        headers: Object.fromEntries(
          Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)]),
        ),
        body: text ? parseBody(text) : undefined,
      };
    },
    async stop() {
      for (const client of clients) client.destroy();
      await engine.stop();
    },
  };
  return stack;
}

/** JSON bodies parsed; anything else (a v1 secret's payload, say) as the text it is. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
