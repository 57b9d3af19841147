import { startHandlerStack, type HandlerStack } from '../../bench/handlerStack';
import { totalCalls } from '../../bench/instrument';
import { handler as createHandler } from '../../functions/secretsCreate';
import { handler as getHandler } from '../../functions/secretsGet';
import { handler as listHandler } from '../../functions/secretsList';
import { createWorld, secretDocument, type World } from '../support/fixtures';

/**
 * The counted cost targets of issue 5, on the real handlers against the embedded DynamoDB: these
 * figures do not depend on the machine, so they can be asserted (speed is only reported, by
 * `npm run bench`).
 */
let stack: HandlerStack;
let world: World;
let headers: Record<string, string>;
const secretIds: string[] = [];

beforeAll(async () => {
  stack = await startHandlerStack();
  world = await createWorld(stack.services);
  headers = { 'x-auth-token': world.admin.apiKey };
  for (let index = 0; index < 100; index++) {
    const answer = await stack.invoke(createHandler, {
      method: 'POST',
      route: '/v2/workspaces/{workspaceId}/secrets',
      pathParameters: { workspaceId: world.workspaceId },
      headers,
      body: secretDocument(world.oauth2ClientId),
    });
    secretIds.push((answer.body as { data: { id: string } }).data.id);
  }
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const list = (limit: number, filter = '') =>
  stack.invoke(listHandler, {
    method: 'GET',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId: world.workspaceId },
    query: `page[limit]=${limit}${filter}`,
    headers,
  });

const get = (secretId: string) =>
  stack.invoke(getHandler, {
    method: 'GET',
    route: '/v2/workspaces/{workspaceId}/secrets/{secretId}',
    pathParameters: { workspaceId: world.workspaceId, secretId },
    headers,
  });

test('a warm create makes at most one KMS call and one transaction with its list counts, recorded in the audit trail before and after', async () => {
  stack.take();
  const answer = await stack.invoke(createHandler, {
    method: 'POST',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId: world.workspaceId },
    headers,
    body: secretDocument(world.otherClientId, { credentials: { key: 'value' } }),
  });
  const cost = stack.take();
  expect(answer.statusCode).toBe(201);
  expect(cost.kmsCalls).toBeLessThanOrEqual(1);
  expect(cost.dynamoCalls.TransactWriteItems).toBe(1);
  // The audit record, written before the change runs and completed with its answer.
  expect(cost.dynamoCalls.PutItem).toBe(2);
  expect(cost.dynamoCalls.UpdateItem).toBeUndefined();
  expect(cost.writeCapacity).toBeGreaterThan(0);
});

test('a warm get makes no KMS call and two or three DynamoDB round trips (its audit record included)', async () => {
  const [secretId = ''] = secretIds;
  await get(secretId);
  stack.take();
  const answer = await get(secretId);
  const cost = stack.take();
  expect(answer.statusCode).toBe(200);
  expect(cost.kmsCalls).toBe(0);
  expect(cost.dynamoCalls.PutItem).toBe(1);
  expect(totalCalls(cost)).toBeGreaterThanOrEqual(2);
  expect(totalCalls(cost)).toBeLessThanOrEqual(3);
});

test.each([
  ['without filter[state]', '', 2],
  ['with filter[state]', '&filter[state]=ready', 1],
])(
  'a warm list of 100 secrets %s makes no KMS call: the counter read beside one index Query per state partition it reads, then one BatchGetItem',
  async (_name, filter, queries) => {
    await list(100, filter);
    stack.take();
    const answer = await list(100, filter);
    const cost = stack.take();
    expect(answer.statusCode).toBe(200);
    expect((answer.body as { data: unknown[] }).data).toHaveLength(100);
    expect(cost.kmsCalls).toBe(0);
    // The GetItem of the list's counter runs beside the Queries: two round trips in sequence; then
    // the audit record.
    expect(cost.dynamoCalls).toEqual({ GetItem: 1, Query: queries, BatchGetItem: 1, PutItem: 1 });
  },
);

test('a cold list of 100 secrets sealed under one data key calls KMS once, not once per item', async () => {
  stack.coldStart();
  stack.take();
  const answer = await list(100);
  const cost = stack.take();
  expect(answer.statusCode).toBe(200);
  expect(cost.kmsCalls).toBe(1);
  expect(cost.readCapacity).toBeGreaterThan(0);
});
