/**
 * The AWS side of events, at the SDK boundary: the stream handler against the real table's stream
 * (DynamoDB Local's), with EventBridge and SQS faked (aws-sdk-client-mock: there is no local
 * EventBridge or SQS), and the SQS delivery handler against a real webhook receiver.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as deliverWebhooks } from '../../functions/deliverWebhooks';
import { handler as publishEvents } from '../../functions/publishEvents';
import { EventBridgeBus, EVENT_SOURCE } from '../../lib/events/eventBridgeBus';
import { SqsDeliveryQueue } from '../../lib/events/sqsQueue';
import type { Membership } from '../../lib/model';
import { createSecret, deleteSecret } from '../../lib/secrets/useCases';
import { provideServices, type Services } from '../../lib/services';
import { createWebhook } from '../../lib/webhooks/useCases';
import { createWorld, membershipOf, type World } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';
import { streamRecords } from '../support/streams';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver';

const QUEUE_URL = 'http://127.0.0.1:9/000000000000/webhook-deliveries';
/** The stream and queue handlers read nothing of their Lambda context. */
const context = {} as Context;
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);

let stack: TestStack;
let services: Services;
let world: World;
let membership: Membership;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [stack, receiver] = await Promise.all([startTestStack({ stream: true }), startWebhookReceiver()]);
  services = {
    ...stack.services,
    eventBus: new EventBridgeBus(
      async () => new EventBridgeClient({ region: 'us-east-1' }),
      'auth-secrets-test',
    ),
    deliveryQueue: new SqsDeliveryQueue(async () => new SQSClient({ region: 'us-east-1' }), QUEUE_URL),
  };
  provideServices(services);
  world = await createWorld(services);
  membership = await membershipOf(services, world.workspaceId, world.admin.id);
}, 60_000);

afterAll(async () => {
  await Promise.all([stack?.stop(), receiver?.stop()]);
});

beforeEach(() => {
  eventBridge.reset();
  sqs.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(ChangeMessageVisibilityCommand).resolves({});
});

async function publishEverything(): Promise<void> {
  await publishEvents({ Records: await streamRecords(stack) } as DynamoDBStreamEvent, context);
}

test('the stream handler publishes each secret event to the bus and queues a job per matching webhook', async () => {
  const hook = await createWebhook(services, world.tenantId, {
    url: receiver.url,
    eventTypes: ['auth_secret.deleted'],
  });
  const secret = await createSecret(services, membership, {
    attributes: { name: 'to the bus', state: 'ready', error: null, credentials: { api_key: 'sk-bus-1' } },
    authClientId: world.otherClientId,
  });
  // For good (a DELETE within the recovery window is auth_secret.soft_deleted).
  await deleteSecret(services, membership, secret.id, { force: true });

  await publishEverything();

  const entries = eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? []);
  const ours = entries.filter((entry) => JSON.parse(entry.Detail ?? '{}').data.auth_secret_id === secret.id);
  expect(ours.map((entry) => [entry.Source, entry.DetailType, entry.EventBusName])).toEqual([
    [EVENT_SOURCE, 'auth_secret.created', 'auth-secrets-test'],
    [EVENT_SOURCE, 'auth_secret.deleted', 'auth-secrets-test'],
  ]);
  expect(JSON.stringify(entries)).not.toContain('sk-bus-1');
  const jobs = sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => JSON.parse(entry.MessageBody ?? '{}'));
  const deletedEvent = JSON.parse(ours[1]?.Detail ?? '{}');
  expect(jobs).toEqual([{ tenantId: world.tenantId, webhookId: hook.id, eventId: deletedEvent.id }]);
  expect(sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(QUEUE_URL);

  // The same batch again (Lambda retries a batch whose function failed): the same events, no new job.
  sqs.resetHistory();
  await publishEverything();
  expect(
    sqs.commandCalls(SendMessageBatchCommand).flatMap((call) => call.args[0].input.Entries ?? []),
  ).toEqual([]);
  const listed = await services.events.list(world.workspaceId, { authSecretId: secret.id }, { limit: 10 });
  expect(listed.events.map((event) => event.type)).toEqual(['auth_secret.created', 'auth_secret.deleted']);
});

test('a failed batch (EventBridge refuses an entry) fails the invocation, so Lambda retries it', async () => {
  eventBridge
    .on(PutEventsCommand)
    .resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] });
  await createSecret(services, membership, {
    attributes: { name: 'bus down', state: 'ready', error: null, credentials: { api_key: 'k' } },
    authClientId: world.otherClientId,
  });
  await expect(publishEverything()).rejects.toThrow(/EventBridge refused 1/);
});

test('the SQS handler: a refused delivery is made visible again after its backoff and reported; an accepted one is not', async () => {
  const hook = await createWebhook(services, world.tenantId, {
    url: receiver.url,
    eventTypes: ['auth_secret.created'],
  });
  receiver.setSecret(hook.attributes.secret ?? '');
  const secret = await createSecret(services, membership, {
    attributes: { name: 'queued', state: 'ready', error: null, credentials: { api_key: 'k2' } },
    authClientId: world.otherClientId,
  });
  await publishEverything();
  const [createdEvent] = (
    await services.events.list(world.workspaceId, { authSecretId: secret.id }, { limit: 1 })
  ).events;
  const job = sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => entry.MessageBody ?? '')
    .find((body) => body.includes(hook.id) && body.includes(createdEvent?.id ?? '-'));
  if (!job) throw new Error('no job queued for the webhook');
  const message = (receiptHandle: string): SQSEvent =>
    ({
      Records: [{ messageId: 'm-1', receiptHandle, body: job, attributes: { ApproximateReceiveCount: '1' } }],
    }) as unknown as SQSEvent;

  receiver.refuse(502, 1);
  const refused = await deliverWebhooks(message('receipt-1'), context);
  expect(refused).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
  expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input)).toEqual([
    { QueueUrl: QUEUE_URL, ReceiptHandle: 'receipt-1', VisibilityTimeout: 30 },
  ]);

  const accepted = await deliverWebhooks(message('receipt-2'), context);
  expect(accepted).toEqual({ batchItemFailures: [] });
  const attempts = receiver.received.filter((delivery) => delivery.body.includes(secret.id));
  expect(attempts.map((delivery) => [delivery.answered, delivery.verified])).toEqual([
    [502, true],
    [204, true],
  ]);
  expect(await services.deliveries.get(hook.id, attempts[0]?.id ?? '')).toMatchObject({
    status: 'delivered',
    attempts: 2,
  });

  // A duplicate of a settled job (SQS is at least once) sends nothing.
  const again = await deliverWebhooks(message('receipt-3'), context);
  expect(again).toEqual({ batchItemFailures: [] });
  expect(receiver.received.filter((delivery) => delivery.body.includes(secret.id))).toHaveLength(2);
});

test('events stored by concurrent publishers (and stored again) take each position once, and a key walk sees each once', async () => {
  const workspaceId = `ws-${Date.now()}`;
  const event = (index: number) => ({
    id: `01900000-0000-7000-8000-${String(index).padStart(12, '0')}`,
    type: 'auth_secret.updated' as const,
    occurred_at: new Date().toISOString(),
    data: {
      tenant_id: 't',
      workspace_id: workspaceId,
      auth_secret_id: `s${index % 3}`,
      auth_client_id: 'c',
      user_id: 'u',
      state: 'ready' as const,
      error: null,
      error_code: null,
    },
  });
  const batches = [0, 1, 2, 3].map((batch) =>
    Array.from({ length: 10 }, (_, index) => event(batch * 10 + index)),
  );
  const keep = new Date(Date.now() + 86_400_000);

  // Four publishers at once, then the first two batches again (retried by Lambda).
  await Promise.all(batches.map((batch) => services.events.putAll(batch, keep)));
  await Promise.all(batches.slice(0, 2).map((batch) => services.events.putAll(batch, keep)));

  const seen: string[] = [];
  let after: string | undefined;
  do {
    const page = await services.events.list(workspaceId, {}, { ...(after ? { after } : {}), limit: 7 });
    seen.push(...page.events.map((stored) => stored.id));
    after = page.next;
  } while (after);
  expect(seen).toHaveLength(40);
  expect(new Set(seen).size).toBe(40);
  // Each batch's events in their batch's order.
  for (const batch of batches) {
    const ids = batch.map((stored) => stored.id);
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
  }
  const filtered = await services.events.list(workspaceId, { authSecretId: 's1' }, { limit: 100 });
  expect(filtered.events.map((stored) => stored.data.auth_secret_id)).toEqual(Array(13).fill('s1'));
});
