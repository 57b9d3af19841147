/**
 * Idempotency keys on the real DynamoDB Local, where a request can be made to die at a chosen
 * moment: after its create committed but before its answer was kept, the key is never run again
 * (the create marked it in its own transaction), and one that died before creating runs again.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { runIdempotent } from '../../lib/http/idempotency';
import type { Membership } from '../../lib/model';
import { createSecret } from '../../lib/secrets/useCases';
import type { Services } from '../../lib/services';
import { createWorld, membershipOf } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';

let stack: TestStack;
let services: Services;
let membership: Membership;
let clientId: string;

beforeAll(async () => {
  stack = await startTestStack();
  services = stack.services;
  const world = await createWorld(services);
  membership = await membershipOf(services, world.workspaceId, world.admin.id);
  clientId = world.otherClientId;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

/** Past the hold a running request keeps its key for (lib/http/idempotency.ts). */
const AFTER_THE_HOLD_MS = 61_000;

function eventWithKey(key: string, body: unknown): APIGatewayProxyEventV2 {
  return {
    headers: { 'idempotency-key': key, 'content-type': 'application/json' },
    rawPath: `/v2/workspaces/${membership.workspaceId}/secrets`,
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2;
}

const total = async () =>
  (await services.secrets.list(membership.workspaceId, {}, { offset: 0, limit: 1 })).total;

/** The create the handler runs, answering as it would. */
async function create(name: string): Promise<APIGatewayProxyStructuredResultV2> {
  const secret = await createSecret(services, membership, {
    attributes: { name, state: 'ready', error: null, credentials: { api_key: name } },
    authClientId: clientId,
  });
  return {
    statusCode: 201,
    headers: { Location: secret.links.self },
    body: JSON.stringify({ data: secret }),
  };
}

test('a request that died after its create is never run again: its key names what it created', async () => {
  const event = eventWithKey(`died-after-${Date.now()}`, { name: 'once' });
  const before = await total();
  let createdId = '';
  const died = runIdempotent(services, { userId: membership.userId, event }, async () => {
    const answer = await create('once');
    createdId = (JSON.parse(answer.body ?? '{}') as { data: { id: string } }).data.id;
    throw new Error('the container died before the answer was kept');
  });
  await expect(died).rejects.toThrow('the container died');
  expect(await total()).toBe(before + 1);

  let ran = false;
  const retry = (at: number) =>
    runIdempotent(
      services,
      { userId: membership.userId, event },
      async () => {
        ran = true;
        return create('twice');
      },
      () => at,
    );
  // Within the hold: still running, as far as anyone can tell.
  await expect(retry(Date.now())).rejects.toMatchObject({
    status: 409,
    code: 'idempotent_request_in_progress',
  });
  // After it: the key names what the first request created, and nothing runs again.
  const lost = retry(Date.now() + AFTER_THE_HOLD_MS);
  await expect(lost).rejects.toMatchObject({ status: 409, code: 'idempotent_answer_lost' });
  await expect(lost).rejects.toThrow(createdId);
  expect(ran).toBe(false);
  expect(await total()).toBe(before + 1);
});

test('a request that died before creating anything gives its key to the retry', async () => {
  const event = eventWithKey(`died-before-${Date.now()}`, { name: 'retried' });
  const before = await total();
  await expect(
    runIdempotent(services, { userId: membership.userId, event }, () =>
      Promise.reject(new Error('died early')),
    ),
  ).rejects.toThrow('died early');
  const answer = await runIdempotent(services, { userId: membership.userId, event }, () => create('retried'));
  expect(answer.statusCode).toBe(201);
  const replay = await runIdempotent(services, { userId: membership.userId, event }, () => create('again'));
  expect(replay.headers).toMatchObject({ 'Idempotent-Replayed': 'true', Location: answer.headers?.Location });
  expect(await total()).toBe(before + 1);
});

test('a request that never finished and never created is taken over once its hold has passed', async () => {
  const event = eventWithKey(`abandoned-${Date.now()}`, { name: 'abandoned' });
  const before = await total();
  // The first request claimed the key and its container died before doing anything (no release).
  let first = true;
  const abandoned = runIdempotent(services, { userId: membership.userId, event }, async () => {
    first = false;
    return new Promise<never>(() => undefined);
  });
  void abandoned;
  for (let waited = 0; first && waited < 100; waited++)
    await new Promise((resolve) => setTimeout(resolve, 10));
  expect(first).toBe(false);
  // Within its hold the key is busy; after it, a retry takes the key over and runs.
  await expect(
    runIdempotent(services, { userId: membership.userId, event }, () => create('too early')),
  ).rejects.toMatchObject({ status: 409, code: 'idempotent_request_in_progress' });
  const answer = await runIdempotent(
    services,
    { userId: membership.userId, event },
    () => create('taken over'),
    () => Date.now() + AFTER_THE_HOLD_MS,
  );
  expect(answer.statusCode).toBe(201);
  expect(await total()).toBe(before + 1);
});
