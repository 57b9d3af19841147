/**
 * End-to-end tests of the auth-client API (/v2/tenants/{t}/auth-clients) over HTTP, against the real
 * `npm start` program (DynamoDB Local + serverless-offline). Fixtures are written through the services on
 * the same DynamoDB; every assertion about the API is made over HTTP, and the storage checks read
 * the table raw.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { addMember, createTenant, createWorkspace, grantTenantAdmin } from '../../lib/directory/admin';
import { TENANT_PERMISSIONS, type TenantPermission } from '../../lib/model';
import { clientSecretBinding } from '../../lib/authClients/binding';
import {
  createMember,
  createOutsider,
  createWorld,
  secretDocument,
  type TestUser,
  type World,
} from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import { Api, basic, type ApiResponse, type HeaderMap, type Json } from './api';

type Reply = ApiResponse;
type Headers_ = HeaderMap;

let server: LocalServer;
let world: World;
/** Holds all four tenants.auth_client.* permissions on world's tenant, and is no workspace member. */
let manager: TestUser;
/** A viewer member of world's workspace, without any tenant grant. */
let member: TestUser;
/** A user with no membership and no grant anywhere. */
let outsider: TestUser;
/** Users holding three of the four tenant permissions: `lacking[p]` lacks `p`. No memberships. */
const lacking = {} as Record<TenantPermission, TestUser>;

beforeAll(async () => {
  server = await startLocalServer();
  const services = server.stack.services;
  world = await createWorld(services);
  [manager, member, outsider] = await Promise.all([
    createOutsider(services),
    createMember(services, world.workspaceId, { role: 'viewer' }),
    createOutsider(services),
  ]);
  await grantTenantAdmin(services, world.tenantId, manager.id);
  for (const permission of TENANT_PERMISSIONS) {
    const user = await createOutsider(services);
    const others = TENANT_PERMISSIONS.filter((name) => name !== permission);
    await grantTenantAdmin(services, world.tenantId, user.id, others);
    lacking[permission] = user;
  }
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

// ---------------------------------------------------------------------------------------------
// Helpers

function call(
  method: string,
  path: string,
  options: { auth?: Headers_; json?: unknown; body?: string; headers?: Headers_ } = {},
): Promise<Reply> {
  return new Api(server.baseUrl).request(method, path, options);
}

const clientsPath = (tenantId: string) => `/v2/tenants/${tenantId}/auth-clients`;
const clientPath = (tenantId: string, clientId: string) => `/v2/tenants/${tenantId}/auth-clients/${clientId}`;
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

/** Fails with the body in the message, so that a wrong status explains itself. */
function expectStatus(reply: Reply, status: number): void {
  if (reply.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${reply.status}: ${reply.text.slice(0, 600)}`);
  }
}

/** A JSON:API error answer: status, JSON media type, errors[0] with status, code, detail, source. */
function expectError(
  reply: Reply,
  status: number,
  source?: { pointer: string } | { parameter: string } | { header: string },
): void {
  expectStatus(reply, status);
  expect(reply.headers.get('content-type') ?? '').toMatch(/^application\/(vnd\.api\+)?json/);
  expect(Array.isArray(reply.body?.errors)).toBe(true);
  const [first] = reply.body.errors as Json[];
  expect(first.status).toBe(String(status));
  expect(typeof first.code).toBe('string');
  expect(typeof first.detail).toBe('string');
  expect(first.detail.length).toBeGreaterThan(0);
  if (source) expect(first.source).toEqual(source);
}

const uniqueSecret = () => `cs-${randomBytes(16).toString('hex')}`;

function oauth2Attributes(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Example provider',
    auth_type: 'oauth2',
    token_url: 'https://provider.example/oauth/token',
    client_id: 'my-client',
    client_secret: uniqueSecret(),
    auth_method: 'client_secret_basic',
    scopes: ['read', 'write'],
    default_expires_in: 3600,
    refresh_interval_seconds: 86_400,
    ...overrides,
  };
}

const clientDocument = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  data: { type: 'auth-client', attributes, ...extra },
});

/** Creates an auth-client over HTTP as the manager; returns its resource object. */
async function createClient(
  attributes: Record<string, unknown> = oauth2Attributes(),
  tenantId = world.tenantId,
  user = manager,
): Promise<Json> {
  const reply = await call('POST', clientsPath(tenantId), {
    auth: basic(user),
    json: clientDocument(attributes),
  });
  expectStatus(reply, 201);
  return reply.body.data;
}

async function getClient(clientId: string, tenantId = world.tenantId, user = manager): Promise<Reply> {
  return call('GET', clientPath(tenantId, clientId), { auth: basic(user) });
}

/** Every item of the table, raw, as JSON text. */
async function scanTableText(): Promise<string> {
  return JSON.stringify(await server.stack.scanTable());
}

/** The auth-client items of a tenant, read raw (consistently) from the table. */
async function storedClientItems(tenantId: string) {
  const page = await server.stack.dynamoDb.send(
    new QueryCommand({
      TableName: server.stack.tableName,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': { S: `TENANT#${tenantId}` }, ':sk': { S: 'AUTHCLIENT#' } },
    }),
  );
  return page.Items ?? [];
}

/** Asserts that a response body carries no trace of the client secret. */
function expectNoClientSecret(reply: Reply, clientSecret: string): void {
  expect(reply.text).not.toContain(clientSecret);
  // No client_secret member (auth_method's values, e.g. client_secret_basic, are fine).
  expect(reply.text).not.toContain('"client_secret"');
  expect(reply.text.toLowerCase()).not.toContain('sealed');
}

const samePathAndQuery = (link: string) => {
  const url = new URL(link, server.baseUrl);
  return {
    path: url.pathname,
    offset: url.searchParams.get('page[offset]'),
    limit: url.searchParams.get('page[limit]'),
  };
};

// ---------------------------------------------------------------------------------------------
// Create

describe('create', () => {
  test('an oauth2 client: 201, Location, the resource with every setting and no client secret', async () => {
    const attributes = oauth2Attributes({ auth_method: 'client_secret_post', default_expires_in: 1800 });
    const reply = await call('POST', clientsPath(world.tenantId), {
      auth: basic(manager),
      json: clientDocument(attributes),
    });
    expectStatus(reply, 201);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const data = reply.body.data;
    const location = reply.headers.get('location') ?? '';
    expect(new URL(location, server.baseUrl).pathname).toBe(clientPath(world.tenantId, data.id));
    expect(data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'auth-client',
      attributes: {
        name: 'Example provider',
        auth_type: 'oauth2',
        token_url: 'https://provider.example/oauth/token',
        client_id: 'my-client',
        auth_method: 'client_secret_post',
        scopes: ['read', 'write'],
        default_expires_in: 1800,
        refresh_interval_seconds: 86_400,
        // Connecting accounts (README): the defaults of a client that has not set them.
        grant_type: 'authorization_code',
        authorization_url: null,
        pkce: true,
        authorize_params: {},
        allowed_return_urls: [],
        created_at: expect.any(String),
        updated_at: expect.any(String),
      },
      relationships: { tenant: { data: { id: world.tenantId, type: 'tenant' } } },
      links: { self: clientPath(world.tenantId, data.id) },
      // The revision its ETag names.
      meta: { revision: 1 },
    });
    expect(reply.headers.get('etag')).toBe('"1"');
    expect(Date.parse(data.attributes.created_at)).toBeGreaterThan(Date.now() - 60_000);
    expectNoClientSecret(reply, attributes.client_secret);

    const read = await call('GET', location, { auth: basic(manager) });
    expectStatus(read, 200);
    expect(read.body.data).toEqual(data);
  });

  test('an oauth2 client with only the required settings gets the defaults', async () => {
    const data = await createClient({
      name: 'Minimal',
      auth_type: 'oauth2',
      token_url: 'https://provider.example/token',
      client_id: 'c',
      client_secret: uniqueSecret(),
    });
    expect(data.attributes).toEqual(
      expect.objectContaining({
        auth_method: 'client_secret_basic',
        scopes: [],
        default_expires_in: null,
        refresh_interval_seconds: null,
      }),
    );
  });

  test('an other client: 201 with name and auth_type only', async () => {
    const reply = await call('POST', clientsPath(world.tenantId), {
      auth: basic(manager),
      json: clientDocument({ name: 'API key', auth_type: 'other' }),
      headers: { 'Content-Type': 'application/vnd.api+json' },
    });
    expectStatus(reply, 201);
    expect(reply.body.data.attributes).toEqual({
      name: 'API key',
      auth_type: 'other',
      created_at: expect.any(String),
      updated_at: expect.any(String),
    });
    expect(new URL(reply.headers.get('location') ?? '', server.baseUrl).pathname).toBe(
      clientPath(world.tenantId, reply.body.data.id),
    );
  });

  test('`type` inside attributes is accepted as an alias of auth_type, and scopes may be one string', async () => {
    const data = await createClient({
      name: 'Alias',
      type: 'oauth2',
      token_url: 'https://provider.example/token',
      client_id: 'c',
      client_secret: uniqueSecret(),
      scopes: 'read  write',
    });
    expect(data.attributes.auth_type).toBe('oauth2');
    expect(data.attributes.scopes).toEqual(['read', 'write']);
  });

  test('an http token URL on an allow-listed loopback host is accepted in local mode', async () => {
    const data = await createClient(oauth2Attributes({ token_url: 'http://127.0.0.1:9/token' }));
    expect(data.attributes.token_url).toBe('http://127.0.0.1:9/token');
  });
});

// ---------------------------------------------------------------------------------------------
// List and get

describe('list', () => {
  let pagingTenant: string;
  const ids: string[] = [];

  beforeAll(async () => {
    ({ id: pagingTenant } = await createTenant(server.stack.services, 'paging tenant'));
    await grantTenantAdmin(server.stack.services, pagingTenant, manager.id);
    for (let index = 0; index < 5; index++) {
      const data = await createClient(
        index % 2 === 0
          ? oauth2Attributes({ name: `client ${index}` })
          : { name: `client ${index}`, auth_type: 'other' },
        pagingTenant,
      );
      ids.push(data.id);
    }
  });

  test('the default page: every client in creation order, meta.total, self/first/last and no prev/next', async () => {
    const reply = await call('GET', clientsPath(pagingTenant), { auth: basic(manager) });
    expectStatus(reply, 200);
    expect(reply.body.data.map((item: Json) => item.id)).toEqual(ids);
    expect(reply.body.data.map((item: Json) => item.attributes.name)).toEqual(
      ids.map((_, index) => `client ${index}`),
    );
    expect(reply.body.meta).toEqual(expect.objectContaining({ total: 5 }));
    const { links } = reply.body;
    for (const name of ['self', 'first', 'last']) {
      expect(samePathAndQuery(links[name])).toEqual({
        path: clientsPath(pagingTenant),
        offset: '0',
        limit: '10',
      });
    }
    expect(links.prev).toBeUndefined();
    expect(links.next).toBeUndefined();
    for (const item of reply.body.data) expect(item.links.self).toBe(clientPath(pagingTenant, item.id));
  });

  test('pages of two: first, middle and last page, with their links', async () => {
    const page = async (offset: number) => {
      const reply = await call('GET', `${clientsPath(pagingTenant)}?page[offset]=${offset}&page[limit]=2`, {
        auth: basic(manager),
      });
      expectStatus(reply, 200);
      expect(reply.body.meta.total).toBe(5);
      return reply.body;
    };
    const link = (offset: number) => ({
      path: clientsPath(pagingTenant),
      offset: String(offset),
      limit: '2',
    });

    const first = await page(0);
    expect(first.data.map((item: Json) => item.id)).toEqual(ids.slice(0, 2));
    expect(samePathAndQuery(first.links.self)).toEqual(link(0));
    expect(samePathAndQuery(first.links.first)).toEqual(link(0));
    expect(samePathAndQuery(first.links.last)).toEqual(link(4));
    expect(samePathAndQuery(first.links.next)).toEqual(link(2));
    expect(first.links.prev).toBeUndefined();

    const middle = await page(2);
    expect(middle.data.map((item: Json) => item.id)).toEqual(ids.slice(2, 4));
    expect(samePathAndQuery(middle.links.prev)).toEqual(link(0));
    expect(samePathAndQuery(middle.links.next)).toEqual(link(4));

    const last = await page(4);
    expect(last.data.map((item: Json) => item.id)).toEqual(ids.slice(4));
    expect(samePathAndQuery(last.links.prev)).toEqual(link(2));
    expect(last.links.next).toBeUndefined();
    expect(samePathAndQuery(last.links.last)).toEqual(link(4));

    const beyond = await page(10);
    expect(beyond.data).toEqual([]);
  });

  test('following links.next from the first page visits every client once', async () => {
    const seen: string[] = [];
    let next: string | undefined = `${clientsPath(pagingTenant)}?page[limit]=2`;
    for (let pages = 0; next && pages < 10; pages++) {
      const reply = await call('GET', next, { auth: basic(manager) });
      expectStatus(reply, 200);
      seen.push(...reply.body.data.map((item: Json) => item.id));
      next = reply.body.links.next;
    }
    expect(seen).toEqual(ids);
  });

  test.each([
    ['page[limit]=0', 'page[limit]'],
    ['page[limit]=101', 'page[limit]'],
    ['page[offset]=-1', 'page[offset]'],
    ['page[offset]=abc', 'page[offset]'],
    ['sort=name', 'sort'],
  ])('bad paging parameter %s: 400 naming the parameter', async (query, parameter) => {
    const reply = await call('GET', `${clientsPath(pagingTenant)}?${query}`, { auth: basic(manager) });
    expectError(reply, 400, { parameter });
  });

  test('a tenant without auth-clients lists an empty page', async () => {
    const { id: emptyTenant } = await createTenant(server.stack.services, 'empty tenant');
    await grantTenantAdmin(server.stack.services, emptyTenant, manager.id);
    const reply = await call('GET', clientsPath(emptyTenant), { auth: basic(manager) });
    expectStatus(reply, 200);
    expect(reply.body.data).toEqual([]);
    expect(reply.body.meta.total).toBe(0);
    expect(reply.body.links.next).toBeUndefined();
  });
});

describe('get', () => {
  test('200 with the resource; 404 for an unknown id, a malformed id and another tenant’s client', async () => {
    const created = await createClient();
    const reply = await getClient(created.id);
    expectStatus(reply, 200);
    expect(reply.body.data).toEqual(created);

    expectError(await getClient(UNKNOWN_ID), 404);
    expectError(await getClient('not-an-id'), 404);

    const elsewhere = await createWorld(server.stack.services);
    await grantTenantAdmin(server.stack.services, elsewhere.tenantId, manager.id);
    // The manager may manage both tenants, but a client is found only under its own tenant.
    expectError(await getClient(elsewhere.oauth2ClientId, world.tenantId), 404);
    expectStatus(await getClient(elsewhere.oauth2ClientId, elsewhere.tenantId), 200);
  });
});

// ---------------------------------------------------------------------------------------------
// Patch

describe('patch', () => {
  const patch = (
    clientId: string,
    attributes: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) =>
    call('PATCH', clientPath(world.tenantId, clientId), {
      auth: basic(manager),
      json: { data: { type: 'auth-client', id: clientId, attributes, ...extra } },
    });

  test('renames, keeping every other setting; GET shows the change', async () => {
    const created = await createClient();
    const reply = await patch(created.id, { name: 'Renamed provider' });
    expectStatus(reply, 200);
    expect(reply.body.data).toEqual({
      ...created,
      attributes: { ...created.attributes, name: 'Renamed provider', updated_at: expect.any(String) },
      meta: { revision: created.meta.revision + 1 },
    });
    expect(reply.body.data.attributes.updated_at >= created.attributes.updated_at).toBe(true);
    expect(reply.body.data.attributes.created_at).toBe(created.attributes.created_at);
    expect((await getClient(created.id)).body.data).toEqual(reply.body.data);
  });

  test('changes token_url, auth_method, scopes, default_expires_in and refresh_interval_seconds', async () => {
    const created = await createClient();
    const reply = await patch(created.id, {
      token_url: 'https://other-provider.example/v2/token',
      client_secret: 'the other provider secret',
      auth_method: 'client_secret_post',
      scopes: ['profile'],
      default_expires_in: null,
      refresh_interval_seconds: 3600,
    });
    expectStatus(reply, 200);
    expect(reply.body.data.attributes).toEqual({
      ...created.attributes,
      token_url: 'https://other-provider.example/v2/token',
      auth_method: 'client_secret_post',
      scopes: ['profile'],
      default_expires_in: null,
      refresh_interval_seconds: 3600,
      updated_at: expect.any(String),
    });
    expect((await getClient(created.id)).body.data.attributes.token_url).toBe(
      'https://other-provider.example/v2/token',
    );
  });

  test('moving token_url to another origin needs the client secret again; another path on the same origin does not', async () => {
    const created = await createClient();
    const origin = new URL(created.attributes.token_url).origin;
    const moved = await patch(created.id, { token_url: 'https://attacker.example/token' });
    expectError(moved, 422, { pointer: '/data/attributes/client_secret' });
    expect((await getClient(created.id)).body.data.attributes.token_url).toBe(created.attributes.token_url);
    const samePlace = await patch(created.id, { token_url: `${origin}/oauth/v2/token` });
    expectStatus(samePlace, 200);
    expect(samePlace.body.data.attributes.token_url).toBe(`${origin}/oauth/v2/token`);
  });

  test('data.id may be left out; read-only attributes sent back are ignored', async () => {
    const created = await createClient();
    const reply = await call('PATCH', clientPath(world.tenantId, created.id), {
      auth: basic(manager),
      json: { data: { type: 'auth-client', attributes: { ...created.attributes, name: 'Round trip' } } },
    });
    expectStatus(reply, 200);
    expect(reply.body.data.attributes.name).toBe('Round trip');
    expect(reply.body.data.attributes.created_at).toBe(created.attributes.created_at);
  });

  test('rotates the client secret: the new one is stored (sealed), neither appears in any answer', async () => {
    const oldSecret = uniqueSecret();
    const created = await createClient(oauth2Attributes({ client_secret: oldSecret }));
    const newSecret = uniqueSecret();
    const reply = await patch(created.id, { client_secret: newSecret });
    expectStatus(reply, 200);
    expectNoClientSecret(reply, newSecret);
    expectNoClientSecret(reply, oldSecret);
    expect(reply.body.data.attributes).toEqual({ ...created.attributes, updated_at: expect.any(String) });

    const { services } = server.stack;
    const stored = await services.authClients.get(world.tenantId, created.id);
    expect(stored?.sealedClientSecret).toEqual(expect.any(String));
    if (!stored?.sealedClientSecret) throw new Error('no sealed client secret');
    expect(await services.envelope.open(stored.sealedClientSecret, clientSecretBinding(stored))).toBe(
      newSecret,
    );
  });

  test('404 for an unknown auth-client', async () => {
    expectError(await patch(UNKNOWN_ID, { name: 'x' }), 404);
  });
});

// ---------------------------------------------------------------------------------------------
// Delete

describe('delete', () => {
  const remove = (clientId: string, query = '') =>
    call('DELETE', `${clientPath(world.tenantId, clientId)}${query}`, { auth: basic(manager) });

  async function createSecret(
    workspaceId: string,
    authClientId: string,
    credentials?: object,
  ): Promise<string> {
    const reply = await call('POST', `/v2/workspaces/${workspaceId}/secrets`, {
      auth: basic(world.admin),
      json: secretDocument(authClientId, credentials ? { credentials } : {}),
    });
    expectStatus(reply, 201);
    return reply.body.data.id;
  }

  const getSecret = (workspaceId: string, secretId: string) =>
    call('GET', `/v2/workspaces/${workspaceId}/secrets/${secretId}`, { auth: basic(world.admin) });

  test('204 with no body; then GET and DELETE answer 404 and the list no longer has it', async () => {
    const created = await createClient();
    const reply = await remove(created.id);
    expectStatus(reply, 204);
    expect(reply.text).toBe('');
    expectError(await getClient(created.id), 404);
    expectError(await remove(created.id), 404);
    const list = await call('GET', `${clientsPath(world.tenantId)}?page[limit]=100`, {
      auth: basic(manager),
    });
    expect(list.body.data.map((item: Json) => item.id)).not.toContain(created.id);
    expect(await storedClientItems(world.tenantId)).not.toContainEqual(
      expect.objectContaining({ sk: { S: `AUTHCLIENT#${created.id}` } }),
    );
  });

  test('409 while a secret points at it; ?cascade=true deletes it and its secrets in every workspace', async () => {
    const created = await createClient();
    const { id: secondWorkspace } = await createWorkspace(server.stack.services, world.tenantId, 'second');
    await addMember(server.stack.services, secondWorkspace, world.admin.id, { role: 'admin' });
    const first = await createSecret(world.workspaceId, created.id);
    const second = await createSecret(secondWorkspace, created.id);
    const unrelated = await createSecret(world.workspaceId, world.otherClientId, { api_key: 'k' });

    const refused = await remove(created.id);
    expectError(refused, 409);
    expectError(await remove(created.id, '?cascade=false'), 409);
    expectStatus(await getClient(created.id), 200);
    expectStatus(await getSecret(world.workspaceId, first), 200);

    expectError(await remove(created.id, '?cascade=yes'), 400, { parameter: 'cascade' });
    expectStatus(await getClient(created.id), 200);

    const cascaded = await remove(created.id, '?cascade=true');
    expectStatus(cascaded, 204);
    expectError(await getSecret(world.workspaceId, first), 404);
    expectError(await getSecret(secondWorkspace, second), 404);
    expectError(await getClient(created.id), 404);
    expectStatus(await getSecret(world.workspaceId, unrelated), 200);
  });

  test('once its only secret is deleted, a plain DELETE succeeds', async () => {
    const created = await createClient();
    const secret = await createSecret(world.workspaceId, created.id);
    expectError(await remove(created.id), 409);
    const deleted = await call('DELETE', `/v2/workspaces/${world.workspaceId}/secrets/${secret}`, {
      auth: basic(world.admin),
    });
    expectStatus(deleted, 204);
    expectStatus(await remove(created.id), 204);
  });
});

// ---------------------------------------------------------------------------------------------
// The client secret is write-only

test('the client secret never appears in create, get, list or patch answers, nor in plaintext in the table', async () => {
  const firstSecret = uniqueSecret();
  const clientId = `client-id-${randomBytes(6).toString('hex')}`;
  const created = await call('POST', clientsPath(world.tenantId), {
    auth: basic(manager),
    json: clientDocument(oauth2Attributes({ client_id: clientId, client_secret: firstSecret })),
  });
  expectStatus(created, 201);
  expectNoClientSecret(created, firstSecret);
  const id = created.body.data.id;

  const read = await getClient(id);
  expectStatus(read, 200);
  expectNoClientSecret(read, firstSecret);
  const readByMember = await getClient(id, world.tenantId, member);
  expectStatus(readByMember, 200);
  expectNoClientSecret(readByMember, firstSecret);

  const list = await call('GET', `${clientsPath(world.tenantId)}?page[limit]=100`, { auth: basic(manager) });
  expectStatus(list, 200);
  expect(list.body.data.map((item: Json) => item.id)).toContain(id);
  expectNoClientSecret(list, firstSecret);

  const renamed = await call('PATCH', clientPath(world.tenantId, id), {
    auth: basic(manager),
    json: { data: { type: 'auth-client', id, attributes: { name: 'Renamed' } } },
  });
  expectStatus(renamed, 200);
  expectNoClientSecret(renamed, firstSecret);

  const secondSecret = uniqueSecret();
  const rotated = await call('PATCH', clientPath(world.tenantId, id), {
    auth: basic(manager),
    json: { data: { type: 'auth-client', id, attributes: { client_secret: secondSecret } } },
  });
  expectStatus(rotated, 200);
  expectNoClientSecret(rotated, secondSecret);

  const table = await scanTableText();
  expect(table).toContain(clientId); // the scan does see the auth-client's item
  for (const secret of [firstSecret, secondSecret]) {
    expect(table).not.toContain(secret);
    expect(table).not.toContain(Buffer.from(secret).toString('base64'));
    expect(table).not.toContain(Buffer.from(secret).toString('hex'));
  }
});

// ---------------------------------------------------------------------------------------------
// Permissions and authentication

describe('permissions', () => {
  const newName = () => `renamed-${randomBytes(4).toString('hex')}`;

  async function attempt(user: TestUser, clientId: string) {
    const auth = basic(user);
    return {
      list: await call('GET', clientsPath(world.tenantId), { auth }),
      get: await call('GET', clientPath(world.tenantId, clientId), { auth }),
      create: await call('POST', clientsPath(world.tenantId), {
        auth,
        json: clientDocument(oauth2Attributes()),
      }),
      patch: await call('PATCH', clientPath(world.tenantId, clientId), {
        auth,
        json: { data: { type: 'auth-client', id: clientId, attributes: { name: newName() } } },
      }),
      delete: await call('DELETE', clientPath(world.tenantId, clientId), { auth }),
    };
  }

  test('without tenants.auth_client.create: POST is 403 and nothing is written', async () => {
    const before = (await storedClientItems(world.tenantId)).length;
    const reply = await call('POST', clientsPath(world.tenantId), {
      auth: basic(lacking['tenants.auth_client.create']),
      json: clientDocument(oauth2Attributes()),
    });
    expectError(reply, 403);
    expect((await storedClientItems(world.tenantId)).length).toBe(before);
    // The other three still work.
    expectStatus(
      await call('GET', clientsPath(world.tenantId), { auth: basic(lacking['tenants.auth_client.create']) }),
      200,
    );
  });

  test('without tenants.auth_client.edit: PATCH is 403 and the client is unchanged', async () => {
    const created = await createClient();
    const reply = await call('PATCH', clientPath(world.tenantId, created.id), {
      auth: basic(lacking['tenants.auth_client.edit']),
      json: { data: { type: 'auth-client', id: created.id, attributes: { name: 'Should not stick' } } },
    });
    expectError(reply, 403);
    expect((await getClient(created.id)).body.data).toEqual(created);
  });

  test('without tenants.auth_client.delete: DELETE is 403 and the client remains', async () => {
    const created = await createClient();
    const reply = await call('DELETE', clientPath(world.tenantId, created.id), {
      auth: basic(lacking['tenants.auth_client.delete']),
    });
    expectError(reply, 403);
    expectStatus(await getClient(created.id), 200);
  });

  test('without tenants.auth_client.get (and no workspace membership): list and get are 403', async () => {
    const created = await createClient();
    const auth = basic(lacking['tenants.auth_client.get']);
    expectError(await call('GET', clientsPath(world.tenantId), { auth }), 403);
    expectError(await call('GET', clientPath(world.tenantId, created.id), { auth }), 403);
  });

  test('a holder of only create/edit/delete can still create, patch and delete', async () => {
    const user = lacking['tenants.auth_client.get'];
    const data = await createClient(oauth2Attributes(), world.tenantId, user);
    const patched = await call('PATCH', clientPath(world.tenantId, data.id), {
      auth: basic(user),
      json: { data: { type: 'auth-client', id: data.id, attributes: { name: 'by a writer' } } },
    });
    expectStatus(patched, 200);
    expectStatus(await call('DELETE', clientPath(world.tenantId, data.id), { auth: basic(user) }), 204);
  });

  test('a workspace member of the tenant without a grant may list and get, not create, patch or delete', async () => {
    const created = await createClient();
    const before = (await storedClientItems(world.tenantId)).length;
    const replies = await attempt(member, created.id);
    expectStatus(replies.list, 200);
    expect(replies.list.body.meta.total).toBeGreaterThanOrEqual(1);
    expectStatus(replies.get, 200);
    expect(replies.get.body.data).toEqual(created);
    expectError(replies.create, 403);
    expectError(replies.patch, 403);
    expectError(replies.delete, 403);
    expect((await storedClientItems(world.tenantId)).length).toBe(before);
    expect((await getClient(created.id)).body.data).toEqual(created);
  });

  test('an outsider gets 404 on list and get, 403 on create, patch and delete', async () => {
    const created = await createClient();
    const before = (await storedClientItems(world.tenantId)).length;
    const replies = await attempt(outsider, created.id);
    expectError(replies.list, 404);
    expectError(replies.get, 404);
    expectError(replies.create, 403);
    expectError(replies.patch, 403);
    expectError(replies.delete, 403);
    expect((await storedClientItems(world.tenantId)).length).toBe(before);
    expect((await getClient(created.id)).body.data).toEqual(created);
    // An unknown tenant looks the same as one the caller may not see.
    expectError(await call('GET', clientsPath(UNKNOWN_ID), { auth: basic(outsider) }), 404);
  });

  test('a tenant admin of another tenant is an outsider here', async () => {
    const elsewhere = await createWorld(server.stack.services);
    const otherAdmin = await createOutsider(server.stack.services);
    await grantTenantAdmin(server.stack.services, elsewhere.tenantId, otherAdmin.id);
    const replies = await attempt(otherAdmin, world.oauth2ClientId);
    expectError(replies.list, 404);
    expectError(replies.get, 404);
    expectError(replies.create, 403);
    expectError(replies.patch, 403);
    expectError(replies.delete, 403);
  });

  test('missing or bad credentials: 401 with WWW-Authenticate Basic on every operation', async () => {
    const created = await createClient();
    const wrongKey = { ...manager, apiKey: `${manager.apiKey.slice(0, -4)}AAAA` };
    const wrongEmail = { ...manager, email: 'someone-else@example.com' };
    const credentialSets: Array<Headers_ | undefined> = [
      undefined,
      basic(wrongKey),
      basic(wrongEmail),
      { Authorization: 'Basic !!!not-base64' },
      { Authorization: 'Bearer whatever' },
      { 'X-Auth-Token': 'asec.nope' },
    ];
    for (const auth of credentialSets) {
      const replies = [
        await call('GET', clientsPath(world.tenantId), { auth }),
        await call('GET', clientPath(world.tenantId, created.id), { auth }),
        await call('POST', clientsPath(world.tenantId), { auth, json: clientDocument(oauth2Attributes()) }),
        await call('PATCH', clientPath(world.tenantId, created.id), {
          auth,
          json: { data: { type: 'auth-client', id: created.id, attributes: { name: 'x' } } },
        }),
        await call('DELETE', clientPath(world.tenantId, created.id), { auth }),
      ];
      for (const reply of replies) {
        expectError(reply, 401);
        expect(reply.headers.get('www-authenticate')).toMatch(/^Basic/);
      }
    }
    expect((await getClient(created.id)).body.data).toEqual(created);
    // The right key as X-Auth-Token works.
    expectStatus(
      await call('GET', clientPath(world.tenantId, created.id), { auth: { 'X-Auth-Token': manager.apiKey } }),
      200,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input

describe('bad input on create', () => {
  let badTenant: string;

  beforeAll(async () => {
    ({ id: badTenant } = await createTenant(server.stack.services, 'bad input tenant'));
    await grantTenantAdmin(server.stack.services, badTenant, manager.id);
  });

  // Compared with what was there before each case, so that one case that writes fails only itself.
  let before: Json[];
  beforeEach(async () => {
    before = await storedClientItems(badTenant);
  });

  const post = (body: unknown) => call('POST', clientsPath(badTenant), { auth: basic(manager), json: body });

  const without = (name: string) =>
    clientDocument(Object.fromEntries(Object.entries(oauth2Attributes()).filter(([key]) => key !== name)));

  const cases: Array<[string, unknown, number, string]> = [
    ['wrong data.type', { data: { type: 'auth-secret', attributes: oauth2Attributes() } }, 409, '/data/type'],
    ['a client-chosen data.id', clientDocument(oauth2Attributes(), { id: UNKNOWN_ID }), 403, '/data/id'],
    ['no data member', { attributes: oauth2Attributes() }, 400, '/data'],
    ['missing name', without('name'), 422, '/data/attributes/name'],
    ['blank name', clientDocument(oauth2Attributes({ name: '   ' })), 422, '/data/attributes/name'],
    ['missing auth_type', without('auth_type'), 422, '/data/attributes/auth_type'],
    [
      'unknown auth_type',
      clientDocument(oauth2Attributes({ auth_type: 'saml' })),
      422,
      '/data/attributes/auth_type',
    ],
    [
      'auth_type and type disagreeing',
      clientDocument(oauth2Attributes({ type: 'other' })),
      422,
      '/data/attributes/auth_type',
    ],
    ['oauth2 without token_url', without('token_url'), 422, '/data/attributes/token_url'],
    ['oauth2 without client_id', without('client_id'), 422, '/data/attributes/client_id'],
    ['oauth2 without client_secret', without('client_secret'), 422, '/data/attributes/client_secret'],
    [
      'token_url on plain http to a host not allow-listed',
      clientDocument(oauth2Attributes({ token_url: 'http://provider.example/token' })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url at the cloud metadata address',
      clientDocument(oauth2Attributes({ token_url: 'https://169.254.169.254/latest' })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url at an IPv6 link-local address',
      clientDocument(oauth2Attributes({ token_url: 'http://[fe80::1]/t' })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url with ftp',
      clientDocument(oauth2Attributes({ token_url: 'ftp://provider.example/token' })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url that is not a URL',
      clientDocument(oauth2Attributes({ token_url: 'not-a-url' })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url not a string',
      clientDocument(oauth2Attributes({ token_url: 42 })),
      422,
      '/data/attributes/token_url',
    ],
    [
      'auth_method not one of the two',
      clientDocument(oauth2Attributes({ auth_method: 'private_key_jwt' })),
      422,
      '/data/attributes/auth_method',
    ],
    [
      'scopes not strings',
      clientDocument(oauth2Attributes({ scopes: [1, 2] })),
      422,
      '/data/attributes/scopes',
    ],
    [
      'scopes an object',
      clientDocument(oauth2Attributes({ scopes: { read: true } })),
      422,
      '/data/attributes/scopes',
    ],
    [
      'default_expires_in negative',
      clientDocument(oauth2Attributes({ default_expires_in: -5 })),
      422,
      '/data/attributes/default_expires_in',
    ],
    [
      'default_expires_in not an integer',
      clientDocument(oauth2Attributes({ default_expires_in: 1.5 })),
      422,
      '/data/attributes/default_expires_in',
    ],
    [
      'default_expires_in a string',
      clientDocument(oauth2Attributes({ default_expires_in: 'soon' })),
      422,
      '/data/attributes/default_expires_in',
    ],
    [
      'refresh_interval_seconds under a minute',
      clientDocument(oauth2Attributes({ refresh_interval_seconds: 30 })),
      422,
      '/data/attributes/refresh_interval_seconds',
    ],
    [
      'refresh_interval_seconds a string',
      clientDocument(oauth2Attributes({ refresh_interval_seconds: '3600' })),
      422,
      '/data/attributes/refresh_interval_seconds',
    ],
    ...[
      'token_url',
      'client_id',
      'client_secret',
      'scopes',
      'default_expires_in',
      'refresh_interval_seconds',
      'auth_method',
    ].map((name): [string, unknown, number, string] => [
      `${name} on an other client`,
      clientDocument({
        name: 'API key',
        auth_type: 'other',
        [name]: (oauth2Attributes() as Record<string, unknown>)[name],
      }),
      422,
      `/data/attributes/${name}`,
    ]),
    [
      'an unknown attribute',
      clientDocument(oauth2Attributes({ colour: 'blue' })),
      422,
      '/data/attributes/colour',
    ],
  ];

  test.each(cases)(
    '%s: 4xx JSON:API error naming the field, nothing written',
    async (_name, body, status, pointer) => {
      const reply = await post(body);
      expectError(reply, status, { pointer });
      expect(await storedClientItems(badTenant)).toEqual(before);
    },
  );

  test('malformed JSON: 400, nothing written', async () => {
    const reply = await call('POST', clientsPath(badTenant), {
      auth: basic(manager),
      body: '{"data": {"type": "auth-client", ',
      headers: { 'Content-Type': 'application/json' },
    });
    expectError(reply, 400);
    expect(await storedClientItems(badTenant)).toEqual(before);
  });

  test('an empty body: 400, nothing written', async () => {
    const reply = await call('POST', clientsPath(badTenant), {
      auth: basic(manager),
      body: '',
      headers: { 'Content-Type': 'application/json' },
    });
    expectError(reply, 400);
    expect(await storedClientItems(badTenant)).toEqual(before);
  });

  test.each(['text/plain', 'application/x-www-form-urlencoded', 'application/vnd.api+json; charset=utf-8'])(
    'Content-Type %s: 415, nothing written',
    async (contentType) => {
      const reply = await call('POST', clientsPath(badTenant), {
        auth: basic(manager),
        body: JSON.stringify(clientDocument(oauth2Attributes())),
        headers: { 'Content-Type': contentType },
      });
      expectError(reply, 415, { header: 'Content-Type' });
      expect(await storedClientItems(badTenant)).toEqual(before);
    },
  );

  test('no Content-Type at all: 415', async () => {
    const reply = await call('POST', clientsPath(badTenant), {
      auth: basic(manager),
      body: JSON.stringify(clientDocument(oauth2Attributes())),
    });
    // fetch labels a string body text/plain when no Content-Type is given.
    expectError(reply, 415);
    expect(await storedClientItems(badTenant)).toEqual(before);
  });
});

describe('bad input on patch', () => {
  let oauth2Client: Json;
  let otherClient: Json;
  let storedBefore: Json[];

  beforeAll(async () => {
    oauth2Client = await createClient();
    otherClient = await createClient({ name: 'Other kind', auth_type: 'other' });
  });

  let readBefore: Json[];

  // Compared with the state before each case, so that one case that writes fails only itself.
  beforeEach(async () => {
    storedBefore = await storedClientItems(world.tenantId);
    readBefore = [(await getClient(oauth2Client.id)).body, (await getClient(otherClient.id)).body];
  });

  async function expectUnchanged() {
    expect(await storedClientItems(world.tenantId)).toEqual(storedBefore);
    expect([(await getClient(oauth2Client.id)).body, (await getClient(otherClient.id)).body]).toEqual(
      readBefore,
    );
  }

  const patchDocument = (
    client: Json,
    attributes: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ) => ({
    data: { type: 'auth-client', id: client.id, attributes, ...extra },
  });

  const cases: Array<[string, () => [Json, unknown], number, string]> = [
    [
      'changing auth_type',
      () => [oauth2Client, patchDocument(oauth2Client, { auth_type: 'other' })],
      422,
      '/data/attributes/auth_type',
    ],
    [
      'changing auth_type of an other client',
      () => [otherClient, patchDocument(otherClient, { auth_type: 'oauth2' })],
      422,
      '/data/attributes/auth_type',
    ],
    [
      'a token_url on an other client',
      () => [otherClient, patchDocument(otherClient, { token_url: 'https://provider.example/token' })],
      422,
      '/data/attributes/token_url',
    ],
    [
      'an auth_method on an other client',
      () => [otherClient, patchDocument(otherClient, { auth_method: 'client_secret_post' })],
      422,
      '/data/attributes/auth_method',
    ],
    [
      'a client_secret on an other client',
      () => [otherClient, patchDocument(otherClient, { client_secret: uniqueSecret() })],
      422,
      '/data/attributes/client_secret',
    ],
    [
      'token_url on plain http',
      () => [oauth2Client, patchDocument(oauth2Client, { token_url: 'http://provider.example/token' })],
      422,
      '/data/attributes/token_url',
    ],
    [
      'token_url at the metadata address',
      () => [oauth2Client, patchDocument(oauth2Client, { token_url: 'https://169.254.169.254/latest' })],
      422,
      '/data/attributes/token_url',
    ],
    [
      'an empty client_secret',
      () => [oauth2Client, patchDocument(oauth2Client, { client_secret: '' })],
      422,
      '/data/attributes/client_secret',
    ],
    [
      'auth_method not allowed',
      () => [oauth2Client, patchDocument(oauth2Client, { auth_method: 'none' })],
      422,
      '/data/attributes/auth_method',
    ],
    [
      'default_expires_in negative',
      () => [oauth2Client, patchDocument(oauth2Client, { default_expires_in: -1 })],
      422,
      '/data/attributes/default_expires_in',
    ],
    [
      'an unknown attribute',
      () => [oauth2Client, patchDocument(oauth2Client, { secret: 'x' })],
      422,
      '/data/attributes/secret',
    ],
    [
      'wrong data.type',
      () => [oauth2Client, { data: { type: 'auth-secret', id: oauth2Client.id, attributes: { name: 'x' } } }],
      409,
      '/data/type',
    ],
    [
      'a data.id that is not the URL’s',
      () => [oauth2Client, patchDocument(oauth2Client, { name: 'x' }, { id: otherClient.id })],
      409,
      '/data/id',
    ],
  ];

  test.each(cases)('%s: 4xx naming the field, nothing changed', async (_name, make, status, pointer) => {
    const [client, body] = make();
    const reply = await call('PATCH', clientPath(world.tenantId, client.id), {
      auth: basic(manager),
      json: body,
    });
    expectError(reply, status, { pointer });
    await expectUnchanged();
  });

  test('malformed JSON: 400, nothing changed', async () => {
    const reply = await call('PATCH', clientPath(world.tenantId, oauth2Client.id), {
      auth: basic(manager),
      body: '{"data": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expectError(reply, 400);
    await expectUnchanged();
  });

  test('wrong Content-Type: 415, nothing changed', async () => {
    const reply = await call('PATCH', clientPath(world.tenantId, oauth2Client.id), {
      auth: basic(manager),
      body: JSON.stringify(patchDocument(oauth2Client, { name: 'x' })),
      headers: { 'Content-Type': 'text/plain' },
    });
    expectError(reply, 415, { header: 'Content-Type' });
    await expectUnchanged();
  });
});
