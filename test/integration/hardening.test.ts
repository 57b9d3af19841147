import { startHandlerStack, type HandlerStack } from '../../bench/handlerStack';
import { handler as createHandler } from '../../functions/secretsCreate';
import { handler as listHandler } from '../../functions/secretsList';
import { createWorld, secretDocument, type World } from '../support/fixtures';

/** Inputs that once reached DynamoDB or the validator in a shape they could not take (500s). */
let stack: HandlerStack;
let world: World;

beforeAll(async () => {
  stack = await startHandlerStack();
  world = await createWorld(stack.services);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

test('a body nested 30,000 levels deep answers 400 and writes nothing', async () => {
  const deep = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
  const document = JSON.stringify(
    secretDocument(world.otherClientId, { credentials: { nested: '__DEEP__' } }),
  );
  const answer = await stack.invoke(createHandler, {
    method: 'POST',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId: world.workspaceId },
    headers: { 'x-auth-token': world.admin.apiKey },
    rawBody: document.replace('"__DEEP__"', deep),
  });
  expect(answer.statusCode).toBe(400);
  expect((answer.body as { errors: Array<{ detail: string }> }).errors[0]?.detail).toMatch(/nests deeper/);
  const list = await stack.invoke(listHandler, {
    method: 'GET',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId: world.workspaceId },
    headers: { 'x-auth-token': world.admin.apiKey },
  });
  expect((list.body as { meta: { total: number } }).meta.total).toBe(0);
});

test('a workspace id far longer than any key DynamoDB takes answers 403, like any workspace the caller is not in', async () => {
  const answer = await stack.invoke(listHandler, {
    method: 'GET',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId: 'w'.repeat(3000) },
    headers: { 'x-auth-token': world.admin.apiKey },
  });
  expect(answer.statusCode).toBe(403);
});
