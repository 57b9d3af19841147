/**
 * The audit trail over HTTP against `npm start`: what is recorded (reads of credentials and
 * payloads, changes, refused requests), what a record says, that it never holds a credential, and
 * GET /v2/workspaces/{ws}/audit-events with its filters, paging and permission.
 */
import { createMember, createWorld, secretDocument, type TestUser, type World } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import { Api, basic, expectJsonApiError, expectStatus, token, type Json } from './api';

let server: LocalServer;
let api: Api;
let world: World;
/** Reads and edits secrets, but may not read the audit trail. */
let editor: TestUser;

const auditPath = (workspaceId: string) => `/v2/workspaces/${workspaceId}/audit-events`;
const secretsPath = (workspaceId: string) => `/v2/workspaces/${workspaceId}/secrets`;
const apiKeyIdOf = (user: TestUser) => user.apiKey.split('.')[2];

beforeAll(async () => {
  server = await startLocalServer();
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

async function auditOf(query = ''): Promise<Json[]> {
  const records: Json[] = [];
  let next: string | undefined = `${auditPath(world.workspaceId)}?page[limit]=100${query}`;
  while (next) {
    const page = await api.get(next, basic(world.admin));
    expectStatus(page, 200);
    records.push(...page.body.data);
    next = page.body.links.next;
  }
  return records;
}

test('reads of credentials, changes and deletes each leave a record naming the actor, the action, the target and the outcome', async () => {
  const created = await api.post(
    secretsPath(world.workspaceId),
    basic(editor),
    secretDocument(world.otherClientId, { credentials: { api_key: 'sk-audit-1' } }),
  );
  expectStatus(created, 201);
  const secretId = created.body.data.id as string;
  const secretPath = `${secretsPath(world.workspaceId)}/${secretId}`;
  expectStatus(
    await api.request('GET', secretPath, {
      auth: token(editor),
      headers: { 'User-Agent': 'audit-test/1.0' },
    }),
    200,
  );
  expectStatus(await api.get(secretsPath(world.workspaceId), basic(editor)), 200);
  expectStatus(
    await api.patch(secretPath, basic(editor), {
      data: { type: 'auth-secret', id: secretId, attributes: { credentials: { api_key: 'sk-audit-2' } } },
    }),
    200,
  );
  expectStatus(await api.delete(secretPath, basic(world.admin)), 204);
  expectStatus(await api.get(secretPath, basic(editor)), 404);

  const records = await auditOf(`&filter[auth_secret]=${secretId}`);
  expect(records.map((record) => [record.attributes.action, record.attributes.status])).toEqual([
    ['auth_secret.create', 201],
    ['auth_secret.get', 200],
    ['auth_secret.update', 200],
    ['auth_secret.delete', 204],
    ['auth_secret.get', 404],
  ]);
  const read = records[1].attributes;
  expect(read).toMatchObject({
    actor: { kind: 'user', user_id: editor.id, api_key_id: apiKeyIdOf(editor) },
    targets: { auth_secret_id: secretId },
    source_ip: expect.stringMatching(/127\.0\.0\.1/),
    user_agent: 'audit-test/1.0',
    request_id: expect.any(String),
  });
  expect(records[3].attributes.actor.user_id).toBe(world.admin.id);
  // The list is recorded too (it returns credentials), with no secret as its target.
  const lists = await auditOf(`&filter[action]=auth_secret.list&filter[actor]=${editor.id}`);
  expect(lists.length).toBeGreaterThanOrEqual(1);
  expect(lists.every((record) => record.attributes.targets.auth_secret_id === undefined)).toBe(true);

  const everything = JSON.stringify(await auditOf());
  for (const secret of ['sk-audit-1', 'sk-audit-2', editor.apiKey, world.admin.apiKey]) {
    expect(everything).not.toContain(secret);
  }
  expect(everything).not.toContain(editor.apiKey.split('.')[3]);
});

test('refused requests are recorded: a bad key (the ids it claims) and a member without the permission', async () => {
  const stranger = await createMember(server.stack.services, world.workspaceId, {
    permissions: ['workspaces.secret.get'],
  });
  const forged = `${editor.apiKey.split('.').slice(0, 3).join('.')}.${'x'.repeat(43)}`;
  expectStatus(await api.get(secretsPath(world.workspaceId), { 'X-Auth-Token': forged }), 401);
  expectStatus(await api.get(secretsPath(world.workspaceId), basic(stranger)), 403);
  // A route that is recorded only when refused.
  expectStatus(await api.get(`/v2/workspaces/${world.workspaceId}/events`, basic(stranger)), 403);

  const refused = (await auditOf()).filter((record) => [401, 403].includes(record.attributes.status));
  expect(
    refused.map((record) => [record.attributes.action, record.attributes.status, record.attributes.actor]),
  ).toEqual(
    expect.arrayContaining([
      ['auth_secret.list', 401, { kind: 'anonymous', user_id: editor.id, api_key_id: apiKeyIdOf(editor) }],
      ['auth_secret.list', 403, { kind: 'user', user_id: stranger.id, api_key_id: apiKeyIdOf(stranger) }],
      ['event.list', 403, { kind: 'user', user_id: stranger.id, api_key_id: apiKeyIdOf(stranger) }],
    ]),
  );
  expect(JSON.stringify(refused)).not.toContain('x'.repeat(43));
});

test('v1 payload reads and changes are recorded in the project workspace', async () => {
  const headers = { 'X-Auth-Token': world.admin.apiKey, 'X-Project-Id': world.workspaceId };
  const created = await api.request('POST', '/v1/secrets', {
    headers,
    json: { name: 'audited', payload: 'v1-audit-payload', payload_content_type: 'text/plain' },
  });
  expectStatus(created, 201);
  const secretId = String(created.body.secret_ref).split('/').at(-1) ?? '';
  const payload = await api.request('GET', `/v1/secrets/${secretId}/payload`, {
    headers: { ...headers, Accept: 'text/plain' },
  });
  expect(payload.text).toBe('v1-audit-payload');

  const records = (await auditOf()).filter((record) => record.attributes.targets.v1_secret_id === secretId);
  expect(records.map((record) => [record.attributes.action, record.attributes.status])).toEqual([
    ['secret.create', 201],
    ['secret.payload.get', 200],
  ]);
  expect(JSON.stringify(records)).not.toContain('v1-audit-payload');
});

test('paging by key, a time range, and the permission to read the trail', async () => {
  const before = new Date(Date.now() - 1000).toISOString();
  for (let index = 0; index < 3; index++) {
    expectStatus(await api.get(secretsPath(world.workspaceId), basic(editor)), 200);
  }
  const all = await auditOf(`&filter[since]=${before}&filter[action]=auth_secret.list`);
  expect(all.length).toBeGreaterThanOrEqual(3);
  const walked: string[] = [];
  let next: string | undefined = `${auditPath(world.workspaceId)}?page[limit]=2&filter[since]=${before}`;
  while (next) {
    const page = await api.get(next, basic(world.admin));
    expectStatus(page, 200);
    expect(page.body.data.length).toBeLessThanOrEqual(2);
    walked.push(...page.body.data.map((record: Json) => record.id));
    next = page.body.links.next;
  }
  expect([...walked].sort()).toEqual(walked);
  expect(new Set(walked).size).toBe(walked.length);
  const future = new Date(Date.now() + 3_600_000).toISOString();
  expect(await auditOf(`&filter[since]=${future}`)).toEqual([]);
  // Up to a record's time: that record, and none made after it.
  const first = all[0];
  const upToFirst = await auditOf(`&filter[until]=${first.attributes.at}`);
  expect(upToFirst.map((record) => record.id)).toContain(first.id);
  expect(upToFirst.every((record) => record.attributes.at <= first.attributes.at)).toBe(true);
  expect(upToFirst.length).toBeLessThan((await auditOf()).length);

  expectStatus(await api.get(auditPath(world.workspaceId), basic(editor)), 403);
  expectJsonApiError(
    await api.get(`${auditPath(world.workspaceId)}?filter[since]=yesterday`, basic(world.admin)),
    400,
    { parameter: 'filter[since]' },
  );
});
