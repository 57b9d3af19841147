import { createWorld, secretDocument, type World } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';

let server: LocalServer;
let world: World;

beforeAll(async () => {
  server = await startLocalServer();
  world = await createWorld(server.stack.services);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

test('create then read a secret over HTTP', async () => {
  const { admin, workspaceId, otherClientId } = world;
  const auth = `Basic ${Buffer.from(`${admin.email}:${admin.apiKey}`).toString('base64')}`;
  const createdResponse = await fetch(`${server.baseUrl}/v2/workspaces/${workspaceId}/secrets`, {
    method: 'POST',
    headers: { Authorization: auth, 'Content-Type': 'application/json' },
    body: JSON.stringify(secretDocument(otherClientId, { credentials: { api_key: 'k' } })),
  });
  expect(createdResponse.status).toBe(201);
  const location = createdResponse.headers.get('location');
  const read = await fetch(`${server.baseUrl}${location}`, { headers: { Authorization: auth } });
  expect(read.status).toBe(200);
  const body = await read.json();
  expect(body.data.attributes.credentials).toEqual({ api_key: 'k' });
});
