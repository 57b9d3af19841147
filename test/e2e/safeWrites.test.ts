/**
 * Safe writes and recovery over real HTTP (`npm start`'s program): idempotency keys on every create,
 * ETags and preconditions, soft delete with restore, and credential versions.
 */
import { grantTenantAdmin } from '../../lib/directory/admin';
import {
  createMember,
  createWorld,
  oauth2Credentials,
  secretDocument,
  type TestUser,
  type World,
} from '../support/fixtures';
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

let server: LocalServer;
let api: Api;
let world: World;
let admin: HeaderMap;
let manager: TestUser;

beforeAll(async () => {
  server = await startLocalServer();
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  admin = basic(world.admin);
  manager = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
  await grantTenantAdmin(server.stack.services, world.tenantId, manager.id);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

let counter = 0;
const uniqueKey = (label: string) => `${label}-${Date.now()}-${counter++}`;

function post(path: string, auth: HeaderMap, json: unknown, headers: HeaderMap = {}) {
  return api.request('POST', path, { auth, json, headers });
}

async function createSecret(attributes: Record<string, unknown> = {}, clientId = world.otherClientId) {
  const reply = await api.post(
    secretsPath(world.workspaceId),
    admin,
    secretDocument(clientId, { credentials: { api_key: 'k-1' }, ...attributes }),
  );
  expectStatus(reply, 201);
  return reply.body.data as Json;
}

async function total(query = ''): Promise<number> {
  const reply = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=1${query}`, admin);
  expectStatus(reply, 200);
  return reply.body.meta.total as number;
}

describe('Idempotency-Key', () => {
  test('a retried create answers the first answer again, and stores one secret', async () => {
    const before = await total();
    const key = uniqueKey('create');
    const document = secretDocument(world.otherClientId, {
      name: 'idempotent',
      credentials: { api_key: 'x' },
    });
    const first = await post(secretsPath(world.workspaceId), admin, document, { 'Idempotency-Key': key });
    expectStatus(first, 201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // The same request, serialised differently (member order), is the same request.
    const reordered = JSON.parse(JSON.stringify(document)) as Json;
    reordered.data = {
      relationships: reordered.data.relationships,
      attributes: reordered.data.attributes,
      type: 'auth-secret',
    };
    const again = await post(secretsPath(world.workspaceId), admin, reordered, { 'Idempotency-Key': key });
    expectStatus(again, 201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(await total()).toBe(before + 1);
  });

  test('concurrent duplicates with one key create exactly one secret; the others wait (409) or replay', async () => {
    const burst = 8;
    const document = secretDocument(world.otherClientId, { name: 'burst', credentials: { api_key: 'b' } });
    // As many warm handlers as the burst needs (the local server runs each concurrent request in a
    // handler of its own, as Lambda does): the burst then races on the key, not on cold starts.
    const warmUps = await Promise.all(
      Array.from({ length: burst }, () => post(secretsPath(world.workspaceId), admin, document)),
    );
    for (const reply of warmUps) expectStatus(reply, 201);
    const before = await total();
    const key = uniqueKey('burst');
    const replies = await Promise.all(
      Array.from({ length: burst }, () =>
        post(secretsPath(world.workspaceId), admin, document, { 'Idempotency-Key': key }),
      ),
    );
    const statuses = replies.map((reply) => reply.status);
    for (const status of statuses) expect([201, 409]).toContain(status);
    const created = replies.filter((reply) => reply.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((reply) => reply.body.data.id)).size).toBe(1);
    for (const reply of replies.filter((one) => one.status === 409)) {
      expectJsonApiError(reply, 409, { header: 'Idempotency-Key' });
      expect(reply.body.errors[0].code).toBe('idempotent_request_in_progress');
    }
    // Once the first finished, the key answers its answer.
    const after = await post(secretsPath(world.workspaceId), admin, document, { 'Idempotency-Key': key });
    expectStatus(after, 201);
    expect(after.body.data.id).toBe(created[0]?.body.data.id);
    expect(await total()).toBe(before + 1);
  });

  test('the same key with another body answers 422 and creates nothing', async () => {
    const key = uniqueKey('reuse');
    const first = await post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { a: 1 } }),
      {
        'Idempotency-Key': key,
      },
    );
    expectStatus(first, 201);
    const before = await total();
    const other = await post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { a: 2 } }),
      {
        'Idempotency-Key': key,
      },
    );
    expectJsonApiError(other, 422);
    expect(other.body.errors[0].code).toBe('idempotency_key_reused');
    expect(await total()).toBe(before);
  });

  test('keys are the caller’s own: another user with the same key creates their own secret', async () => {
    const key = uniqueKey('scoped');
    const editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
    const document = secretDocument(world.otherClientId, { credentials: { api_key: 's' } });
    const mine = await post(secretsPath(world.workspaceId), admin, document, { 'Idempotency-Key': key });
    const theirs = await post(secretsPath(world.workspaceId), basic(editor), document, {
      'Idempotency-Key': key,
    });
    expectStatus(mine, 201);
    expectStatus(theirs, 201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.data.id).not.toBe(mine.body.data.id);
  });

  test('a failed request gives its key up: the corrected retry runs', async () => {
    const key = uniqueKey('failed');
    const bad = await post(
      secretsPath(world.workspaceId),
      admin,
      { data: { type: 'auth-secret' } },
      { 'Idempotency-Key': key },
    );
    expectJsonApiError(bad, 422);
    // The same (bad) request again is checked again, not answered from a store.
    const badAgain = await post(
      secretsPath(world.workspaceId),
      admin,
      { data: { type: 'auth-secret' } },
      { 'Idempotency-Key': key },
    );
    expectJsonApiError(badAgain, 422);
    expect(badAgain.headers.get('idempotent-replayed')).toBeNull();
    // The corrected request with the same key runs: the key was not kept for the failure.
    const before = await total();
    const corrected = await post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { api_key: 'corrected' } }),
      { 'Idempotency-Key': key },
    );
    expectStatus(corrected, 201);
    expect(corrected.headers.get('idempotent-replayed')).toBeNull();
    expect(await total()).toBe(before + 1);
  });

  test.each([
    ['too long', 'k'.repeat(256)],
    ['not printable ASCII', 'a\tb'],
  ])('a key that is %s answers 400 naming the header', async (_label, key) => {
    const before = await total();
    const reply = await api.request('POST', secretsPath(world.workspaceId), {
      auth: admin,
      json: secretDocument(world.otherClientId, { credentials: { api_key: 'z' } }),
      headers: { 'Idempotency-Key': key },
    });
    expectJsonApiError(reply, 400, { header: 'Idempotency-Key' });
    expect(await total()).toBe(before);
  });

  test('auth-clients, webhooks and v1 secrets honour the key too', async () => {
    const tenantAuth = basic(manager);
    const clientKey = uniqueKey('client');
    const clientDocument = {
      data: { type: 'auth-client', attributes: { name: `c-${clientKey}`, auth_type: 'other' } },
    };
    const clients = `/v2/tenants/${world.tenantId}/auth-clients`;
    const client1 = await post(clients, tenantAuth, clientDocument, { 'Idempotency-Key': clientKey });
    const client2 = await post(clients, tenantAuth, clientDocument, { 'Idempotency-Key': clientKey });
    expectStatus(client1, 201);
    expectStatus(client2, 201);
    expect(client2.body.data.id).toBe(client1.body.data.id);
    expect(client2.headers.get('idempotent-replayed')).toBe('true');

    const hookKey = uniqueKey('hook');
    const hooks = `/v2/tenants/${world.tenantId}/webhooks`;
    const hookDocument = {
      data: { type: 'webhook', attributes: { url: 'http://127.0.0.1:9/hook', enabled: false } },
    };
    const hook1 = await post(hooks, tenantAuth, hookDocument, { 'Idempotency-Key': hookKey });
    const hook2 = await post(hooks, tenantAuth, hookDocument, { 'Idempotency-Key': hookKey });
    expectStatus(hook1, 201);
    expectStatus(hook2, 201);
    expect(hook2.body.data.id).toBe(hook1.body.data.id);
    // The signing secret is shown with the create only; the replay is that same answer.
    expect(hook2.body.data.attributes.secret).toBe(hook1.body.data.attributes.secret);
    const listed = await api.get(hooks, tenantAuth);
    expect((listed.body.data as Json[]).filter((hook) => hook.id === hook1.body.data.id)).toHaveLength(1);
    await api.request('DELETE', `${hooks}/${hook1.body.data.id as string}`, { auth: tenantAuth });

    const v1Key = uniqueKey('v1');
    const v1Headers = { 'Idempotency-Key': v1Key, 'X-Project-Id': world.workspaceId };
    const v1Body = { name: 'idempotent v1', payload: 'p', payload_content_type: 'text/plain' };
    const v1a = await api.request('POST', '/v1/secrets', { auth: admin, json: v1Body, headers: v1Headers });
    const v1b = await api.request('POST', '/v1/secrets', { auth: admin, json: v1Body, headers: v1Headers });
    expectStatus(v1a, 201);
    expectStatus(v1b, 201);
    expect(v1b.body.secret_ref).toBe(v1a.body.secret_ref);
    const v1Other = await api.request('POST', '/v1/secrets', {
      auth: admin,
      json: { ...v1Body, name: 'another' },
      headers: v1Headers,
    });
    expect(v1Other.status).toBe(422);
  });

  test('no credential is stored in the clear with the key', async () => {
    const key = uniqueKey('sealed');
    const marker = `marker-${key}`;
    const reply = await post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { api_key: marker } }),
      { 'Idempotency-Key': key },
    );
    expectStatus(reply, 201);
    const items = await server.stack.services.table.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `IDEMPOTENCY#${world.admin.id}` },
    });
    expect(items.length).toBeGreaterThan(0);
    expect(JSON.stringify(items)).not.toContain(marker);
    expect(JSON.stringify(items)).not.toContain(key);
  });
});

describe('ETag and preconditions', () => {
  test('every answer of one secret carries a strong ETag that every write changes', async () => {
    const created = await api.post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.otherClientId, { credentials: { api_key: 'e' } }),
    );
    expectStatus(created, 201);
    const path = secretPath(world.workspaceId, created.body.data.id as string);
    const tag = created.headers.get('etag');
    expect(tag).toMatch(/^"[0-9]+"$/);
    const read = await api.get(path, admin);
    expect(read.headers.get('etag')).toBe(tag);
    const notModified = await api.get(path, admin, { 'If-None-Match': tag ?? '' });
    expect(notModified.status).toBe(304);
    expect(notModified.text).toBe('');
    expect(notModified.headers.get('etag')).toBe(tag);
    expect((await api.get(path, admin, { 'If-None-Match': '"999999"' })).status).toBe(200);
    expect((await api.get(path, admin, { 'If-None-Match': '*' })).status).toBe(304);

    const renamed = await api.request('PATCH', path, {
      auth: admin,
      json: { data: { type: 'auth-secret', id: created.body.data.id, attributes: { name: 'renamed' } } },
      headers: { 'If-Match': tag ?? '' },
    });
    expectStatus(renamed, 200);
    const newTag = renamed.headers.get('etag');
    expect(newTag).not.toBe(tag);

    // A write based on the stale read is refused, and changes nothing.
    const stale = await api.request('PATCH', path, {
      auth: admin,
      json: { data: { type: 'auth-secret', id: created.body.data.id, attributes: { name: 'stale' } } },
      headers: { 'If-Match': tag ?? '' },
    });
    expectJsonApiError(stale, 412, { header: 'If-Match' });
    expect((await api.get(path, admin)).body.data.attributes.name).toBe('renamed');
    const staleDelete = await api.request('DELETE', path, {
      auth: admin,
      headers: { 'If-Match': tag ?? '' },
    });
    expectJsonApiError(staleDelete, 412, { header: 'If-Match' });
    // Weak tags never match If-Match (strong comparison).
    const weak = await api.request('DELETE', path, {
      auth: admin,
      headers: { 'If-Match': `W/${newTag ?? ''}` },
    });
    expectJsonApiError(weak, 412);
    expectStatus(await api.get(path, admin), 200);
    // One of a list matches; * matches any existing resource.
    const listed = await api.request('PATCH', path, {
      auth: admin,
      json: { data: { type: 'auth-secret', id: created.body.data.id, attributes: { name: 'listed' } } },
      headers: { 'If-Match': `"1", ${newTag ?? ''}` },
    });
    expectStatus(listed, 200);
    const deleted = await api.request('DELETE', path, { auth: admin, headers: { 'If-Match': '*' } });
    expect(deleted.status).toBe(204);
    const gone = await api.request('DELETE', path, { auth: admin, headers: { 'If-Match': '*' } });
    expectJsonApiError(gone, 404);
  });

  test('auth-clients and webhooks carry ETags and honour If-Match', async () => {
    const tenantAuth = basic(manager);
    const clients = `/v2/tenants/${world.tenantId}/auth-clients`;
    const client = await api.post(clients, tenantAuth, {
      data: { type: 'auth-client', attributes: { name: `etag-${uniqueKey('c')}`, auth_type: 'other' } },
    });
    expectStatus(client, 201);
    const clientPath = `${clients}/${client.body.data.id as string}`;
    const tag = client.headers.get('etag') ?? '';
    expect(tag).toMatch(/^"[0-9]+"$/);
    expect((await api.get(clientPath, tenantAuth, { 'If-None-Match': tag })).status).toBe(304);
    const patched = await api.request('PATCH', clientPath, {
      auth: tenantAuth,
      json: { data: { type: 'auth-client', id: client.body.data.id, attributes: { name: 'new name' } } },
      headers: { 'If-Match': tag },
    });
    expectStatus(patched, 200);
    expect(patched.headers.get('etag')).not.toBe(tag);
    expectJsonApiError(
      await api.request('DELETE', clientPath, { auth: tenantAuth, headers: { 'If-Match': tag } }),
      412,
    );
    expect(
      (
        await api.request('DELETE', clientPath, {
          auth: tenantAuth,
          headers: { 'If-Match': patched.headers.get('etag') ?? '' },
        })
      ).status,
    ).toBe(204);

    const hooks = `/v2/tenants/${world.tenantId}/webhooks`;
    const hook = await api.post(hooks, tenantAuth, {
      data: { type: 'webhook', attributes: { url: 'http://127.0.0.1:9/etag', enabled: false } },
    });
    expectStatus(hook, 201);
    const hookPath = `${hooks}/${hook.body.data.id as string}`;
    const hookTag = hook.headers.get('etag') ?? '';
    const read = await api.get(hookPath, tenantAuth);
    expect(read.headers.get('etag')).toBe(hookTag);
    const stale = await api.request('PATCH', hookPath, {
      auth: tenantAuth,
      json: { data: { type: 'webhook', id: hook.body.data.id, attributes: { enabled: false } } },
      headers: { 'If-Match': '"12345"' },
    });
    expectJsonApiError(stale, 412);
    expect(
      (await api.request('DELETE', hookPath, { auth: tenantAuth, headers: { 'If-Match': hookTag } })).status,
    ).toBe(204);
  });
});

describe('soft delete and restore', () => {
  test('a deleted secret leaves the lists, answers 404, is listed under filter[deleted] and comes back unchanged', async () => {
    const secret = await createSecret({ name: 'to delete', credentials: { api_key: 'keep-me' } });
    const path = secretPath(world.workspaceId, secret.id as string);
    const live = await total();
    const deletedBefore = await total('&filter[deleted]=true');
    expect((await api.delete(path, admin)).status).toBe(204);
    expect(await total()).toBe(live - 1);
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore + 1);
    expectJsonApiError(await api.get(path, admin), 404);
    expectJsonApiError(
      await api.patch(path, admin, {
        data: { type: 'auth-secret', id: secret.id, attributes: { name: 'x' } },
      }),
      404,
    );
    expectJsonApiError(await api.request('POST', `${path}/refresh`, { auth: admin }), 404);
    expectJsonApiError(await api.get(`${path}/versions`, admin), 404);
    // Deleting again answers 404; it is deleted already.
    expectJsonApiError(await api.delete(path, admin), 404);

    const listed = await api.get(
      `${secretsPath(world.workspaceId)}?filter[deleted]=true&page[limit]=100`,
      admin,
    );
    expectStatus(listed, 200);
    const entry = (listed.body.data as Json[]).find((one) => one.id === secret.id);
    expect(entry.meta.purge_at).toEqual(expect.any(String));
    // Deleted credentials are out of reach until a restore.
    expect(entry.attributes.credentials).toBeNull();
    expect(listed.text).not.toContain('keep-me');
    const days =
      (Date.parse(entry.meta.purge_at as string) - Date.parse(entry.meta.deleted_at as string)) / 86_400_000;
    expect(days).toBeCloseTo(7, 5);

    const restored = await api.request('POST', `${path}/restore`, { auth: admin });
    expectStatus(restored, 200);
    expect(restored.body.data.attributes).toEqual(secret.attributes);
    expect(restored.headers.get('etag')).toMatch(/^"[0-9]+"$/);
    expect(await total()).toBe(live);
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore);
    expect((await api.get(path, admin)).body.data.attributes.credentials).toEqual({ api_key: 'keep-me' });
    // Restoring a live secret: nothing to restore.
    expectJsonApiError(await api.request('POST', `${path}/restore`, { auth: admin }), 409);
  });

  test('?force=true deletes at once, also a deleted one; restore then answers 404', async () => {
    const secret = await createSecret();
    const path = secretPath(world.workspaceId, secret.id as string);
    expect((await api.delete(path, admin)).status).toBe(204);
    const deletedBefore = await total('&filter[deleted]=true');
    expect((await api.delete(`${path}?force=true`, admin)).status).toBe(204);
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore - 1);
    expectJsonApiError(await api.request('POST', `${path}/restore`, { auth: admin }), 404);

    const other = await createSecret();
    const otherPath = secretPath(world.workspaceId, other.id as string);
    const deletedNow = await total('&filter[deleted]=true');
    expect((await api.delete(`${otherPath}?force=true`, admin)).status).toBe(204);
    expect(await total('&filter[deleted]=true')).toBe(deletedNow);
    expectJsonApiError(await api.request('POST', `${otherPath}/restore`, { auth: admin }), 404);
    // No version of it is left behind.
    const versions = await server.stack.services.secrets.listVersions(world.workspaceId, other.id as string);
    expect(versions).toEqual([]);
    expectJsonApiError(await api.delete(`${otherPath}?force=maybe`, admin), 400, { parameter: 'force' });
  });

  test('filter[deleted] goes with no other filter; restore needs the delete permission', async () => {
    const mixed = await api.get(
      `${secretsPath(world.workspaceId)}?filter[deleted]=true&filter[state]=ready`,
      admin,
    );
    expectJsonApiError(mixed, 400, { parameter: 'filter[deleted]' });
    const secret = await createSecret();
    const path = secretPath(world.workspaceId, secret.id as string);
    expect((await api.delete(path, admin)).status).toBe(204);
    const editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
    expectJsonApiError(await api.request('POST', `${path}/restore`, { auth: basic(editor) }), 403);
    expectStatus(await api.request('POST', `${path}/restore`, { auth: admin }), 200);
  });

  test('a cascade delete of an auth-client deletes its secrets recoverably; they come back onto another auth-client', async () => {
    const tenantAuth = basic(manager);
    const clients = `/v2/tenants/${world.tenantId}/auth-clients`;
    const client = await api.post(clients, tenantAuth, {
      data: { type: 'auth-client', attributes: { name: `cascade-${uniqueKey('c')}`, auth_type: 'other' } },
    });
    expectStatus(client, 201);
    const clientId = client.body.data.id as string;
    const secrets = [await createSecret({}, clientId), await createSecret({}, clientId)];
    const deletedBefore = await total('&filter[deleted]=true');
    expect((await api.delete(`${clients}/${clientId}?cascade=true`, tenantAuth)).status).toBe(204);
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore + 2);
    for (const secret of secrets) {
      expectJsonApiError(await api.get(secretPath(world.workspaceId, secret.id as string), admin), 404);
      // Its auth-client is gone: a plain restore says so, and what to do.
      const restore = await api.request(
        'POST',
        `${secretPath(world.workspaceId, secret.id as string)}/restore`,
        {
          auth: admin,
        },
      );
      expectJsonApiError(restore, 409);
      expect(restore.body.errors[0].detail).toContain('another auth-client');
    }
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore + 2);

    // Restored onto another auth-client of the same type, named in the body.
    const [first] = secrets;
    const restorePath = `${secretPath(world.workspaceId, first.id as string)}/restore`;
    const onto = (id: string, attributes?: Json) => ({
      data: {
        type: 'auth-secret',
        id: first.id,
        ...(attributes ? { attributes } : {}),
        relationships: { 'auth-client': { data: { type: 'auth-client', id } } },
      },
    });
    expectJsonApiError(await api.post(restorePath, admin, onto(world.oauth2ClientId)), 422, {
      pointer: '/data/relationships/auth-client/data/id',
    });
    expectJsonApiError(await api.post(restorePath, admin, onto(world.otherClientId, { name: 'x' })), 422, {
      pointer: '/data/attributes',
    });
    // Moving it to another client takes the edit permission, as a PATCH of its auth-client does.
    const deleter = await createMember(server.stack.services, world.workspaceId, {
      permissions: ['workspaces.auth_secret.get', 'workspaces.auth_secret.delete'],
    });
    expectJsonApiError(await api.post(restorePath, basic(deleter), onto(world.otherClientId)), 403);
    const restored = await api.post(restorePath, admin, onto(world.otherClientId));
    expectStatus(restored, 200);
    expect(restored.body.data.relationships['auth-client'].data.id).toBe(world.otherClientId);
    expect(restored.body.data.attributes.credentials).toEqual(first.attributes.credentials);
    expect(await total('&filter[deleted]=true')).toBe(deletedBefore + 1);
    expect(await total(`&filter[auth_client]=${world.otherClientId}`)).toBeGreaterThan(0);
    // Its credentials, as they are now, are a version under the new client.
    const versions = await api.get(`${secretPath(world.workspaceId, first.id as string)}/versions`, admin);
    expect(versions.body.data[0].attributes).toEqual(
      expect.objectContaining({ source: 'restore', current: true }),
    );
    expect(versions.body.data[0].relationships['auth-client'].data.id).toBe(world.otherClientId);
  });
});

describe('credential versions', () => {
  test('each change of credentials keeps a version; one can be read and made current again', async () => {
    const created = await api.post(
      secretsPath(world.workspaceId),
      admin,
      secretDocument(world.oauth2ClientId, { credentials: oauth2Credentials('v1') }),
    );
    expectStatus(created, 201);
    const id = created.body.data.id as string;
    const path = secretPath(world.workspaceId, id);
    const patch = (credentials: unknown, auth = admin) =>
      api.patch(path, auth, { data: { type: 'auth-secret', id, attributes: { credentials } } });
    expectStatus(await patch(oauth2Credentials('v2')), 200);
    // A rename is no new version.
    expectStatus(
      await api.patch(path, admin, { data: { type: 'auth-secret', id, attributes: { name: 'renamed' } } }),
      200,
    );
    expectStatus(await patch(oauth2Credentials('v3')), 200);

    const list = await api.get(`${path}/versions`, admin);
    expectStatus(list, 200);
    const versions = list.body.data as Json[];
    expect(versions.map((version) => version.attributes.number)).toEqual([3, 2, 1]);
    expect(versions.map((version) => version.attributes.source)).toEqual(['patch', 'patch', 'create']);
    expect(versions.map((version) => version.attributes.current)).toEqual([true, false, false]);
    expect(versions[0].relationships.user.data).toEqual({ id: world.admin.id, type: 'user' });
    expect(JSON.stringify(list.body)).not.toContain('access-v');

    const one = await api.get(`${path}/versions/1`, admin);
    expectStatus(one, 200);
    expect(one.body.data.attributes.credentials).toEqual(oauth2Credentials('v1'));
    expectJsonApiError(await api.get(`${path}/versions/9`, admin), 404);
    expectJsonApiError(await api.get(`${path}/versions/abc`, admin), 404);

    const restored = await api.request('POST', `${path}/versions/1/restore`, { auth: admin });
    expectStatus(restored, 200);
    expect(restored.body.data.attributes.credentials).toEqual(oauth2Credentials('v1'));
    expect(restored.body.data.attributes.name).toBe('renamed');
    const after = await api.get(`${path}/versions`, admin);
    expect((after.body.data as Json[])[0].attributes).toEqual(
      expect.objectContaining({ number: 4, source: 'restore', current: true }),
    );

    // Reading a version is audited like reading the secret.
    const audit = await api.get(
      `/v2/workspaces/${world.workspaceId}/audit-events?filter[auth_secret]=${id}&page[limit]=100`,
      admin,
    );
    expectStatus(audit, 200);
    const actions = (audit.body.data as Json[]).map((record) => record.attributes.action);
    expect(actions).toEqual(
      expect.arrayContaining(['auth_secret.version.get', 'auth_secret.version.restore']),
    );
  });

  test('the last ten versions before the current one are kept', async () => {
    const secret = await createSecret({ credentials: { api_key: 'n0' } });
    const id = secret.id as string;
    const path = secretPath(world.workspaceId, id);
    for (let n = 1; n <= 12; n++) {
      expectStatus(
        await api.patch(path, admin, {
          data: { type: 'auth-secret', id, attributes: { credentials: { api_key: `n${n}` } } },
        }),
        200,
      );
    }
    const list = await api.get(`${path}/versions`, admin);
    const numbers = (list.body.data as Json[]).map((version) => version.attributes.number);
    expect(numbers).toEqual([13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expectJsonApiError(await api.get(`${path}/versions/2`, admin), 404);
    const oldest = await api.get(`${path}/versions/3`, admin);
    expect(oldest.body.data.attributes.credentials).toEqual({ api_key: 'n2' });
  });

  test('versions need the get permission to read and edit to restore', async () => {
    const secret = await createSecret();
    const path = secretPath(world.workspaceId, secret.id as string);
    const viewer = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
    expectStatus(await api.get(`${path}/versions/1`, basic(viewer)), 200);
    expectJsonApiError(await api.request('POST', `${path}/versions/1/restore`, { auth: basic(viewer) }), 403);
  });
});
