/**
 * The end of the recovery window as `npm start` runs it, with a window of seconds: restore answers
 * 404 once it has passed (even before a purge ran), and the scheduled purge (the real purgeDeleted
 * function, invoked on the local Lambda endpoint as its schedule would) races restores over HTTP —
 * each secret ends restored or purged, never both or neither, the counts stay exact, and a purged
 * secret's `auth_secret.deleted` event is listed.
 */
import { createWorld, secretDocument, type World } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import {
  Api,
  basic,
  expectJsonApiError,
  expectStatus,
  secretPath,
  secretsPath,
  type HeaderMap,
  type Json,
} from './api';

const WINDOW_SECONDS = 4;

let server: LocalServer;
let api: Api;
let world: World;
let admin: HeaderMap;

beforeAll(async () => {
  server = await startLocalServer({
    own: true,
    env: { DELETE_RECOVERY_DAYS: String(WINDOW_SECONDS / 86_400) },
  });
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  admin = basic(world.admin);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function createAndDelete(count: number): Promise<{ ids: string[]; purgeAt: number }> {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const created = await api.post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { api_key: `purge-${n}` } }),
    );
    expectStatus(created, 201);
    ids.push(created.body.data.id as string);
  }
  const purgeTimes: number[] = [];
  for (const id of ids) {
    expectStatus(await api.delete(secretPath(world.workspaceId, id), admin), 204);
    const deleted = await server.stack.services.secrets.getDeleted(world.workspaceId, id);
    purgeTimes.push(Date.parse(deleted?.purgeAt ?? ''));
  }
  return { ids, purgeAt: Math.max(...purgeTimes) };
}

async function total(deleted: boolean): Promise<number> {
  const reply = await api.get(
    `${secretsPath(world.workspaceId)}?page[limit]=1${deleted ? '&filter[deleted]=true' : ''}`,
    admin,
  );
  expectStatus(reply, 200);
  return reply.body.meta.total as number;
}

test('after the window, restore answers 404 before any purge, and the purge deletes the secret for good', async () => {
  const { ids, purgeAt } = await createAndDelete(1);
  const [id = ''] = ids;
  await sleep(Math.max(0, purgeAt - Date.now()) + 200);
  expectJsonApiError(await api.post(`${secretPath(world.workspaceId, id)}/restore`, admin, undefined), 404);
  const before = await total(true);
  const result = (await server.invoke('purgeDeleted')) as { purged: number };
  expect(result.purged).toBeGreaterThanOrEqual(1);
  expect(await server.stack.services.secrets.getDeleted(world.workspaceId, id)).toBeUndefined();
  expect(await total(true)).toBe(before - 1);
  // The stream carries the purge as the secret's last event.
  let types: string[] = [];
  for (let tries = 0; tries < 60 && !types.includes('auth_secret.deleted'); tries++) {
    const events = await api.get(
      `/v2/workspaces/${world.workspaceId}/events?filter[auth_secret]=${id}`,
      admin,
    );
    types = (events.body.data as Json[]).map((event) => event.attributes.event_type as string);
    if (!types.includes('auth_secret.deleted')) await sleep(250);
  }
  expect(types).toEqual(['auth_secret.created', 'auth_secret.soft_deleted', 'auth_secret.deleted']);
}, 60_000);

test('restores racing the purge at the end of the window: each secret is restored or purged, and the counts stay exact', async () => {
  const liveBefore = await total(false);
  const deletedBefore = await total(true);
  const { ids, purgeAt } = await createAndDelete(8);
  // Restores spread across the window's last moments and first moments after it, the purge at its end.
  await sleep(Math.max(0, purgeAt - Date.now() - 400));
  const restores = ids.map(async (id, index) => {
    await sleep(index * 100);
    return api.post(`${secretPath(world.workspaceId, id)}/restore`, admin, undefined);
  });
  await sleep(Math.max(0, purgeAt - Date.now()));
  const purge = server.invoke('purgeDeleted');
  const answers = await Promise.all(restores);
  await purge;
  // A second run purges whatever the first one's read missed.
  await server.invoke('purgeDeleted');

  let restored = 0;
  for (const [index, answer] of answers.entries()) {
    expect([200, 404]).toContain(answer.status);
    const id = ids[index] ?? '';
    const read = await api.get(secretPath(world.workspaceId, id), admin);
    if (answer.status === 200) {
      restored++;
      expectStatus(read, 200);
      expect(read.body.data.attributes.credentials).toEqual({ api_key: `purge-${index}` });
    } else {
      expectJsonApiError(read, 404);
      expect(await server.stack.services.secrets.getDeleted(world.workspaceId, id)).toBeUndefined();
    }
  }
  expect(await total(false)).toBe(liveBefore + restored);
  expect(await total(true)).toBe(deletedBefore);
}, 60_000);
