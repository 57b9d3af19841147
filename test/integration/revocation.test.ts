import { startHandlerStack, type HandlerStack } from '../../bench/handlerStack';
import { createApiKey, removeMember, revokeApiKey } from '../../lib/directory/admin';
import { NotFoundError } from '../../lib/errors';
import { handler as listHandler } from '../../functions/secretsList';
import { createWorld, type World } from '../support/fixtures';

/** Revoking a key and removing a member, as the admin CLI does, with the access cache off. */
let stack: HandlerStack;
let world: World;

beforeAll(async () => {
  stack = await startHandlerStack({ ACCESS_CACHE_SECONDS: '0' });
  world = await createWorld(stack.services);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const list = (apiKey: string, workspaceId = world.workspaceId) =>
  stack.invoke(listHandler, {
    method: 'GET',
    route: '/v2/workspaces/{workspaceId}/secrets',
    pathParameters: { workspaceId },
    headers: { 'x-auth-token': apiKey },
  });

test('a revoked key answers 401 while the user’s other key keeps working', async () => {
  const second = await createApiKey(stack.services, world.admin.id);
  const keyId = second.apiKey.split('.')[2] ?? '';
  expect((await list(second.apiKey)).statusCode).toBe(200);

  await revokeApiKey(stack.services, world.admin.id, keyId);

  expect((await list(second.apiKey)).statusCode).toBe(401);
  expect((await list(world.admin.apiKey)).statusCode).toBe(200);
  await expect(revokeApiKey(stack.services, world.admin.id, keyId)).rejects.toBeInstanceOf(NotFoundError);
});

test('a removed member answers 403', async () => {
  const other = await createWorld(stack.services);
  const mine = await list(other.admin.apiKey, other.workspaceId);
  expect(mine.statusCode).toBe(200);

  await removeMember(stack.services, other.workspaceId, other.admin.id);

  const after = await list(other.admin.apiKey, other.workspaceId);
  expect(after.statusCode).toBe(403);
});
