import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { readConfig, type Config } from './config';
import type { DataKeyProvider } from './crypto/dataKeys';
import { Envelope } from './crypto/envelope';
import { KmsDataKeyProvider } from './crypto/kmsDataKeys';
import { LocalDataKeyProvider } from './crypto/localDataKeys';
import { EventBridgeBus, noEventBus } from './events/eventBridgeBus';
import type { DeliveryQueue, EventBus } from './events/ports';
import { SqsDeliveryQueue } from './events/sqsQueue';
import { traceClient, tracedClient } from './observability';
import { AuditStore } from './store/audit';
import { IdempotencyStore } from './store/idempotency';
import { AuthClientStore } from './store/authClients';
import { DeliveryStore, EventStore } from './store/events';
import { TableQueue } from './store/localQueue';
import { DirectoryStore } from './store/directory';
import type {
  AuditRepository,
  AuthClientRepository,
  DeliveryRepository,
  EventRepository,
  IdentityRepository,
  SecretRepository,
  V1SecretRepository,
  WebhookRepository,
  IdempotencyRepository,
  ConnectSessionRepository,
} from './store/ports';
import { ConnectSessionStore } from './store/connectSessions';
import { SecretStore } from './store/secrets';
import { Table } from './store/table';
import { V1SecretStore } from './store/v1Secrets';
import { WebhookStore } from './store/webhooks';

/** Everything a use case may need, built from configuration. Use cases receive it; tests build their own. */
export interface Services {
  readonly config: Config;
  /** Tenants, workspaces, users, API keys, memberships and tenant grants. */
  readonly directory: IdentityRepository;
  readonly authClients: AuthClientRepository;
  readonly secrets: SecretRepository;
  /** The Barbican-compatible v1 secrets, in the same table. */
  readonly v1Secrets: V1SecretRepository;
  readonly envelope: Envelope;
  /** Auth-secret events, as stored for GET …/events. */
  readonly events: EventRepository;
  readonly webhooks: WebhookRepository;
  readonly deliveries: DeliveryRepository;
  /** Who did what: the audit trail. */
  readonly audit: AuditRepository;
  /** Idempotency keys of create requests. */
  readonly idempotency: IdempotencyRepository;
  /** OAuth authorization requests on their way through users' browsers. */
  readonly connectSessions: ConnectSessionRepository;
  readonly eventBus: EventBus;
  readonly deliveryQueue: DeliveryQueue;
  /** The table itself: for tests and benchmarks that look under the repositories, never for use cases. */
  readonly table: Table;
}

export function createServices(
  config: Config,
  dynamoDb: DynamoDBClient = new DynamoDBClient({}),
  dataKeys?: DataKeyProvider,
): Services {
  // Every AWS client's calls are X-Ray subsegments where tracing is on (lib/observability.ts).
  const table = new Table(
    DynamoDBDocumentClient.from(traceClient(dynamoDb), { marshallOptions: { removeUndefinedValues: true } }),
    config.tableName,
  );
  const provider: DataKeyProvider =
    dataKeys ??
    (config.kmsKeyId
      ? new KmsDataKeyProvider(traceClient(new KMSClient({})), config.kmsKeyId)
      : new LocalDataKeyProvider(config.localKeyFile ?? ''));
  return {
    config,
    directory: new DirectoryStore(table, { accessCacheMs: config.accessCacheSeconds * 1000 }),
    authClients: new AuthClientStore(table),
    secrets: new SecretStore(table, config.listBlockSize),
    v1Secrets: new V1SecretStore(table, config.listBlockSize),
    envelope: new Envelope(provider, { dataKeyMaxAgeMs: config.dataKeyMaxAgeSeconds * 1000 }),
    events: new EventStore(table),
    webhooks: new WebhookStore(table),
    deliveries: new DeliveryStore(table),
    audit: new AuditStore(table),
    idempotency: new IdempotencyStore(table),
    connectSessions: new ConnectSessionStore(table),
    ...eventTransport(config, table),
    table,
  };
}

/**
 * Where events go: the stack's bus and queue on AWS; locally no bus, and the table standing in
 * for the queue. On AWS without them (the admin CLI, which publishes nothing) any use fails loudly
 * rather than quietly keeping deliveries where nothing reads them.
 */
function eventTransport(config: Config, table: Table): Pick<Services, 'eventBus' | 'deliveryQueue'> {
  const local = config.localKeyFile !== undefined;
  const missing = (variable: string) => () => Promise.reject(new Error(`${variable} is not set`));
  return {
    // The clients (and their SDK modules) are made on first use: every function builds these
    // services at cold start, and only the two event functions publish or queue.
    eventBus: config.eventBusName
      ? new EventBridgeBus(
          once(async () =>
            tracedClient(new (await import('@aws-sdk/client-eventbridge')).EventBridgeClient({})),
          ),
          config.eventBusName,
        )
      : local
        ? noEventBus
        : { publish: missing('EVENT_BUS_NAME') },
    deliveryQueue: config.webhookQueueUrl
      ? new SqsDeliveryQueue(
          once(async () => tracedClient(new (await import('@aws-sdk/client-sqs')).SQSClient({}))),
          config.webhookQueueUrl,
        )
      : local
        ? new TableQueue(table)
        : { enqueue: missing('WEBHOOK_QUEUE_URL'), retryLater: missing('WEBHOOK_QUEUE_URL') },
  };
}

/** `make`'s promise, made on the first call and shared by every later one. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

let containerServices: Services | undefined;

/**
 * Installs the container's services instead of building them from the environment: for
 * benchmarks and tests that drive the real handlers with instrumented clients.
 */
export function provideServices(provided: Services): void {
  containerServices = provided;
}

/** The container's services: created on first use (at cold start, from module scope), then reused. */
export function services(): Services {
  containerServices ??= createServices(readConfig());
  return containerServices;
}

/**
 * In a Lambda container (and under serverless-offline), builds the services while the module
 * loads, so that a missing or malformed variable fails the cold start, loudly, instead of
 * answering every request with a 500. Tests and benchmarks import handlers without that
 * environment and provide their own services.
 */
export function prepareAtColdStart(getServices: () => unknown): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) getServices();
}
