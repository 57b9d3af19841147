/**
 * Every auth-secret endpoint of the v2 document over real HTTP (`npm start`'s program): bodies
 * field for field, status codes, the Location header, paging and filters, the links the service
 * emits (each must resolve), both ways to authenticate, and concurrent PATCHes.
 */
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
  token,
  UNKNOWN_ID,
  withoutMeta,
  type HeaderMap,
  type Json,
} from './api';

let server: LocalServer;
let api: Api;
let world: World;
let editor: TestUser;
let adminAuth: HeaderMap;

beforeAll(async () => {
  server = await startLocalServer();
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
  adminAuth = basic(world.admin);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** A link to `path`, relative as in the document or absolute on this server. */
const linkTo = (path: string) =>
  expect.stringMatching(new RegExp(`^(https?://[^/]+)?${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

/** The resource object the document's examples show, with the links fixed to resolve. */
function expectedSecret(expected: {
  id?: string;
  workspaceId?: string;
  tenantId?: string;
  userId?: string;
  authClientId: string;
  name: string;
  state: string;
  error?: string;
  credentials: unknown;
}) {
  const workspaceId = expected.workspaceId ?? world.workspaceId;
  const tenantId = expected.tenantId ?? world.tenantId;
  const userId = expected.userId ?? world.admin.id;
  const id = expected.id ?? expect.stringMatching(/^[0-9a-f-]{36}$/);
  return {
    id,
    type: 'auth-secret',
    attributes: {
      name: expected.name,
      state: expected.state,
      ...(expected.error !== undefined ? { error: expected.error } : {}),
      credentials: expected.credentials,
      created_at: expect.stringMatching(ISO_TIME),
      updated_at: expect.stringMatching(ISO_TIME),
    },
    relationships: {
      workspace: {
        data: { id: workspaceId, type: 'workspace' },
        links: { self: linkTo(`/v2/workspaces/${workspaceId}`) },
      },
      user: { data: { id: userId, type: 'user' }, links: { self: linkTo(`/v2/users/${userId}`) } },
      'auth-client': {
        data: { id: expected.authClientId, type: 'auth-client' },
        links: { self: linkTo(`/v2/tenants/${tenantId}/auth-clients/${expected.authClientId}`) },
      },
    },
    links: {
      self:
        typeof id === 'string'
          ? linkTo(secretPath(workspaceId, id))
          : expect.stringMatching(new RegExp(`${secretsPath(workspaceId)}/[0-9a-f-]{36}$`)),
    },
  };
}

async function createSecret(
  auth: HeaderMap,
  document: unknown,
  workspaceId = world.workspaceId,
): Promise<Json> {
  const response = await api.post(secretsPath(workspaceId), auth, document);
  expectStatus(response, 201);
  return response.body.data;
}

async function getSecret(id: string, auth: HeaderMap = adminAuth, workspaceId = world.workspaceId) {
  const response = await api.get(secretPath(workspaceId, id), auth);
  expectStatus(response, 200);
  return response.body.data;
}

/** Every links.self and relationship link of a resource answers 200 with the resource it names. */
async function expectLinksResolve(resource: Json, auth: HeaderMap): Promise<void> {
  const self = await api.get(resource.links.self, auth);
  expectStatus(self, 200);
  expect(self.body.data).toEqual(resource);
  for (const [name, relationship] of Object.entries<Json>(resource.relationships)) {
    const linked = await api.get(relationship.links.self, auth);
    expectStatus(linked, 200);
    expect({ name, id: linked.body?.data?.id, type: linked.body?.data?.type, text: linked.text }).toEqual({
      name,
      id: relationship.data.id,
      type: relationship.data.type,
      text: expect.any(String),
    });
  }
}

describe('POST /v2/workspaces/{id}/secrets', () => {
  test('the document example creates a secret: 201, Location = links.self, body field for field', async () => {
    const credentials = { access_token: 'at-example', refresh_token: 'rt-example', expires_in: '1000000' };
    const response = await api.post(secretsPath(world.workspaceId), adminAuth, {
      data: {
        type: 'auth-secret',
        attributes: {
          name: 'Auth secret',
          state: 'error',
          error: 'Something went technical wrong',
          credentials,
        },
        relationships: { 'auth-client': { data: { id: world.oauth2ClientId, type: 'auth-client' } } },
      },
    });
    expectStatus(response, 201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect({ ...response.body, data: withoutMeta(response.body.data) }).toEqual({
      data: expectedSecret({
        authClientId: world.oauth2ClientId,
        name: 'Auth secret',
        state: 'error',
        error: 'Something went technical wrong',
        credentials: {
          access_token: 'at-example',
          refresh_token: 'rt-example',
          expires_in: expect.anything(),
        },
      }),
      meta: expect.any(Object),
    });
    const data = response.body.data;
    expect(Number(data.attributes.credentials.expires_in)).toBe(1000000);
    expect(data.attributes.updated_at).toBe(data.attributes.created_at);
    expect(response.headers.get('location')).toBe(data.links.self);
    expect(data.links.self).toEqual(linkTo(secretPath(world.workspaceId, data.id)));
  });

  test('accepts the relationship spelled auth_client (the table) and emits auth-client', async () => {
    const data = await createSecret(adminAuth, {
      data: {
        type: 'auth-secret',
        attributes: { name: 'underscore', state: 'ready', credentials: { api_key: 'u' } },
        relationships: { auth_client: { data: { id: world.otherClientId, type: 'auth-client' } } },
      },
    });
    expect(withoutMeta(data)).toEqual(
      expectedSecret({
        authClientId: world.otherClientId,
        name: 'underscore',
        state: 'ready',
        credentials: { api_key: 'u' },
      }),
    );
    expect(data.relationships.auth_client).toBeUndefined();
  });

  test('accepts application/vnd.api+json and answers in it when the client asks for it', async () => {
    const response = await api.request('POST', secretsPath(world.workspaceId), {
      auth: adminAuth,
      body: JSON.stringify(secretDocument(world.otherClientId, { credentials: { k: 'v' } })),
      headers: { 'Content-Type': 'application/vnd.api+json', Accept: 'application/vnd.api+json' },
    });
    expectStatus(response, 201);
    expect(response.headers.get('content-type')).toMatch(/^application\/vnd\.api\+json/);
    expect(response.body.data.attributes.credentials).toEqual({ k: 'v' });
  });

  test('other credentials are any JSON object, returned exactly', async () => {
    const credentials = { api_key: 'k-1', nested: { list: [1, 'two', null, true], deep: { x: 1.5 } }, n: 0 };
    const data = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials }));
    expect(data.attributes.credentials).toEqual(credentials);
    expect((await getSecret(data.id)).attributes.credentials).toEqual(credentials);
  });

  test.each([
    ['integer', 3600, 3600],
    ['digit string', '3600', 3600],
    ['zero', 0, 0],
    ['string zero', '0', 0],
    ['the example string', '1000000', 1000000],
  ])('oauth2 expires_in as %s is accepted', async (_kind, expiresIn, seconds) => {
    const credentials = { access_token: 'a', refresh_token: 'r', expires_in: expiresIn };
    const data = await createSecret(adminAuth, secretDocument(world.oauth2ClientId, { credentials }));
    expect(data.attributes.credentials).toEqual({
      access_token: 'a',
      refresh_token: 'r',
      expires_in: expect.anything(),
    });
    expect(Number(data.attributes.credentials.expires_in)).toBe(seconds);
    const read = await getSecret(data.id);
    expect(Number(read.attributes.credentials.expires_in)).toBe(seconds);
  });

  test('the user relationship is the creator', async () => {
    const data = await createSecret(basic(editor), secretDocument(world.otherClientId, { credentials: {} }));
    expect(data.relationships.user.data).toEqual({ id: editor.id, type: 'user' });
    expect(data.relationships.user.links.self).toEqual(linkTo(`/v2/users/${editor.id}`));
  });

  test('every link of a created secret answers 200 to the admin and to the creator', async () => {
    const data = await createSecret(basic(editor), secretDocument(world.oauth2ClientId));
    await expectLinksResolve(data, adminAuth);
    await expectLinksResolve(data, basic(editor));
    const client = await api.get(data.relationships['auth-client'].links.self, adminAuth);
    expect(client.body.data.attributes).toEqual(expect.objectContaining({ auth_type: 'oauth2' }));
    expect(client.text).not.toContain('client-secret');
  });
});

describe('GET /v2/workspaces/{id}/secrets/{secretId}', () => {
  test('returns the secret as created, with meta', async () => {
    const created = await api.post(
      secretsPath(world.workspaceId),
      adminAuth,
      secretDocument(world.oauth2ClientId, { name: 'read me', state: 'error', error: 'nope' }),
    );
    expectStatus(created, 201);
    const response = await api.get(created.body.data.links.self, adminAuth);
    expectStatus(response, 200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({ data: created.body.data, meta: expect.any(Object) });
    expect(withoutMeta(response.body.data)).toEqual(
      expectedSecret({
        id: created.body.data.id,
        authClientId: world.oauth2ClientId,
        name: 'read me',
        state: 'error',
        error: 'nope',
        credentials: oauth2Credentials(),
      }),
    );
  });

  test.each([
    ['an unknown id', UNKNOWN_ID],
    ['an id that is not a UUID', 'not-a-secret'],
  ])('answers 404 for %s', async (_kind, id) => {
    expectJsonApiError(await api.get(secretPath(world.workspaceId, id), adminAuth), 404);
  });
});

describe('GET /v2/workspaces/{id}/secrets (list)', () => {
  let listWorld: World;
  let member: TestUser;
  /** The secrets in creation order. */
  const created: Array<{ id: string; userId: string; authClientId: string; state: string }> = [];
  const listPath = () => secretsPath(listWorld.workspaceId);
  const listAuth = () => basic(listWorld.admin);
  const ids = (response: { body: Json }) => (response.body.data as Json[]).map((resource) => resource.id);
  const params = (link: string) => Object.fromEntries(new URL(link, server.baseUrl).searchParams);

  beforeAll(async () => {
    listWorld = await createWorld(server.stack.services);
    member = await createMember(server.stack.services, listWorld.workspaceId, { role: 'editor' });
    for (let index = 0; index < 13; index++) {
      const user = index % 3 === 0 ? member : listWorld.admin;
      const authClientId = index % 2 === 0 ? listWorld.oauth2ClientId : listWorld.otherClientId;
      const credentials =
        authClientId === listWorld.oauth2ClientId
          ? oauth2Credentials(String(index))
          : { api_key: `key-${index}` };
      const state = index % 2 === 0 && index % 3 !== 0 ? 'error' : 'ready';
      const data = await createSecret(
        basic(user),
        secretDocument(authClientId, {
          name: `secret ${index}`,
          credentials,
          state,
          ...(state === 'error' ? { error: 'reconnect' } : {}),
        }),
        listWorld.workspaceId,
      );
      created.push({ id: data.id, userId: user.id, authClientId, state });
    }
  });

  test('default page: the first 10 in creation order, meta.total, and paging links', async () => {
    const response = await api.get(listPath(), listAuth(), { Accept: 'application/json' });
    expectStatus(response, 200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(ids(response)).toEqual(created.slice(0, 10).map((secret) => secret.id));
    expect(response.body.meta).toEqual(expect.objectContaining({ total: 13 }));
    const { links } = response.body;
    expect(links.prev ?? undefined).toBeUndefined();
    for (const name of ['self', 'first', 'last', 'next']) {
      expect(new URL(links[name], server.baseUrl).pathname).toBe(listPath());
    }
    expect(ids(await api.get(links.self, listAuth()))).toEqual(ids(response));
    expect(ids(await api.get(links.first, listAuth()))).toEqual(ids(response));
    const next = await api.get(links.next, listAuth());
    expectStatus(next, 200);
    expect(ids(next)).toEqual(created.slice(10).map((secret) => secret.id));
    expect(ids(await api.get(links.last, listAuth()))).toEqual(created.slice(10).map((secret) => secret.id));
  });

  test('each listed resource is the resource GET returns, with the same links', async () => {
    const response = await api.get(`${listPath()}?page[limit]=2`, listAuth());
    expectStatus(response, 200);
    for (const resource of response.body.data as Json[]) {
      expect(await getSecret(resource.id, listAuth(), listWorld.workspaceId)).toEqual(resource);
      await expectLinksResolve(resource, listAuth());
    }
    expect(withoutMeta(response.body.data[0])).toEqual(
      expectedSecret({
        id: created[0]?.id,
        workspaceId: listWorld.workspaceId,
        tenantId: listWorld.tenantId,
        userId: member.id,
        authClientId: listWorld.oauth2ClientId,
        name: 'secret 0',
        state: 'ready',
        credentials: oauth2Credentials('0'),
      }),
    );
  });

  test('following next with page[limit]=5 walks every secret once, in creation order', async () => {
    let link: string | undefined = `${listPath()}?page[limit]=5`;
    const pages: string[][] = [];
    const selves: string[] = [];
    while (link) {
      const response = await api.get(link, listAuth());
      expectStatus(response, 200);
      expect(response.body.meta.total).toBe(13);
      expect(params(response.body.links.self)['page[limit]']).toBe('5');
      pages.push(ids(response));
      selves.push(response.body.links.self);
      if (pages.length > 1) {
        const prev = await api.get(response.body.links.prev, listAuth());
        expect(ids(prev)).toEqual(pages[pages.length - 2]);
      }
      link = response.body.links.next ?? undefined;
      expect(pages.length).toBeLessThanOrEqual(3);
    }
    expect(pages.map((page) => page.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toEqual(created.map((secret) => secret.id));
    const last = await api.get(`${listPath()}?page[limit]=5`, listAuth());
    expect(ids(await api.get(last.body.links.last, listAuth()))).toEqual(pages[2]);
  });

  test('page[offset] in the middle: prev, next, first and last', async () => {
    const response = await api.get(`${listPath()}?page[offset]=4&page[limit]=4`, listAuth());
    expectStatus(response, 200);
    expect(ids(response)).toEqual(created.slice(4, 8).map((secret) => secret.id));
    const { links } = response.body;
    expect(ids(await api.get(links.prev, listAuth()))).toEqual(
      created.slice(0, 4).map((secret) => secret.id),
    );
    expect(ids(await api.get(links.next, listAuth()))).toEqual(
      created.slice(8, 12).map((secret) => secret.id),
    );
    expect(ids(await api.get(links.first, listAuth()))).toEqual(
      created.slice(0, 4).map((secret) => secret.id),
    );
    const last = await api.get(links.last, listAuth());
    expectStatus(last, 200);
    expect(ids(last).length).toBeGreaterThan(0);
    expect(ids(last)).toContain(created[12]?.id);
    expect(last.body.links.next ?? undefined).toBeUndefined();
  });

  test('page[limit]=100 (the maximum) returns everything and no next link', async () => {
    const response = await api.get(`${listPath()}?page[limit]=100`, listAuth());
    expectStatus(response, 200);
    expect(ids(response)).toEqual(created.map((secret) => secret.id));
    expect(response.body.links.next ?? undefined).toBeUndefined();
    expect(response.body.links.prev ?? undefined).toBeUndefined();
  });

  test('page[after]: following next by key walks every secret once, in creation order; next keeps paging by key', async () => {
    let link: string | undefined = `${listPath()}?page[limit]=5`;
    const pages: string[][] = [];
    while (link) {
      const response = await api.get(link, listAuth());
      expectStatus(response, 200);
      expect(response.body.meta.total).toBe(13);
      pages.push(ids(response));
      // The first page is by offset; from the second on, `next` pages by key after the last id seen.
      const next: string | undefined = response.body.links.next ?? undefined;
      if (next && pages.length > 1) {
        expect(params(next)['page[after]']).toBe(pages.at(-1)?.at(-1));
        expect(params(next)['page[offset]']).toBeUndefined();
      }
      link =
        pages.length === 1 && next ? `${listPath()}?page[after]=${pages[0]?.at(-1)}&page[limit]=5` : next;
      expect(pages.length).toBeLessThanOrEqual(3);
    }
    expect(pages.map((page) => page.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toEqual(created.map((secret) => secret.id));
  });

  test('page[after] pages: self by key, first and last by offset, no prev; filters are kept', async () => {
    const after = created[2]?.id ?? '';
    const response = await api.get(`${listPath()}?page[after]=${after}&page[limit]=4`, listAuth());
    expectStatus(response, 200);
    expect(ids(response)).toEqual(created.slice(3, 7).map((secret) => secret.id));
    const { links } = response.body;
    expect(params(links.self)).toEqual({ 'page[after]': after, 'page[limit]': '4' });
    expect(links.prev ?? undefined).toBeUndefined();
    expect(ids(await api.get(links.first, listAuth()))).toEqual(
      created.slice(0, 4).map((secret) => secret.id),
    );
    expect(ids(await api.get(links.last, listAuth()))).toEqual(created.slice(12).map((secret) => secret.id));
    // After the last secret: an empty page, no next.
    const end = await api.get(`${listPath()}?page[after]=${created[12]?.id}`, listAuth());
    expectStatus(end, 200);
    expect(end.body.data).toEqual([]);
    expect(end.body.meta.total).toBe(13);
    expect(end.body.links.next ?? undefined).toBeUndefined();
    // A filter stays on every link.
    const filtered = await api.get(
      `${listPath()}?filter[user]=${member.id}&page[after]=${after}&page[limit]=2`,
      listAuth(),
    );
    expectStatus(filtered, 200);
    const mine = created.filter((secret) => secret.userId === member.id && secret.id > after);
    expect(ids(filtered)).toEqual(mine.slice(0, 2).map((secret) => secret.id));
    for (const name of ['self', 'first', 'last', 'next']) {
      if (filtered.body.links[name])
        expect(params(filtered.body.links[name])['filter[user]']).toBe(member.id);
    }
  });

  test('page[after] with page[offset]: 400 naming page[after]', async () => {
    const response = await api.get(`${listPath()}?page[after]=${created[0]?.id}&page[offset]=2`, listAuth());
    expectStatus(response, 400);
    expect(response.body.errors[0].source).toEqual({ parameter: 'page[after]' });
  });

  test('page[offset] past the end gives an empty page with the total', async () => {
    const response = await api.get(`${listPath()}?page[offset]=50`, listAuth());
    expectStatus(response, 200);
    expect(response.body.data).toEqual([]);
    expect(response.body.meta.total).toBe(13);
    expect(response.body.links.next ?? undefined).toBeUndefined();
    expect(ids(await api.get(response.body.links.first, listAuth()))).toEqual(
      created.slice(0, 10).map((secret) => secret.id),
    );
  });

  const filterCases: Array<
    [
      string,
      (query: { user: string; admin: string; client: string }) => string,
      (secret: (typeof created)[0]) => boolean,
    ]
  > = [
    ['filter[user]', (q) => `filter[user]=${q.user}`, (secret) => secret.userId === member.id],
    [
      'filter[auth_client]',
      (q) => `filter[auth_client]=${q.client}`,
      (secret) => secret.authClientId === listWorld.oauth2ClientId,
    ],
    [
      'filter[user] and filter[auth_client]',
      (q) => `filter[user]=${q.user}&filter[auth_client]=${q.client}`,
      (secret) => secret.userId === member.id && secret.authClientId === listWorld.oauth2ClientId,
    ],
    ['filter[state]=ready', () => 'filter[state]=ready', (secret) => secret.state === 'ready'],
    ['filter[state]=error', () => 'filter[state]=error', (secret) => secret.state === 'error'],
    [
      'filter[state] and filter[user]',
      (q) => `filter[state]=ready&filter[user]=${q.user}`,
      (secret) => secret.state === 'ready' && secret.userId === member.id,
    ],
    [
      'filter[state], filter[user] and filter[auth_client]',
      (q) => `filter[auth_client]=${q.client}&filter[state]=error&filter[user]=${q.admin}`,
      (secret) =>
        secret.state === 'error' &&
        secret.userId === listWorld.admin.id &&
        secret.authClientId === listWorld.oauth2ClientId,
    ],
  ];

  test.each(filterCases)(
    '%s selects, counts, pages and keeps the filter in links',
    async (_name, query, keep) => {
      const filter = query({ user: member.id, admin: listWorld.admin.id, client: listWorld.oauth2ClientId });
      const expected = created.filter(keep).map((secret) => secret.id);
      expect(expected.length).toBeGreaterThanOrEqual(3);
      const all = await api.get(`${listPath()}?${filter}`, listAuth());
      expectStatus(all, 200);
      expect(ids(all)).toEqual(expected);
      expect(all.body.meta.total).toBe(expected.length);
      for (const resource of all.body.data as Json[]) {
        const secret = created.find((candidate) => candidate.id === resource.id);
        expect(secret && keep(secret)).toBe(true);
      }

      const filterParams = Object.fromEntries(new URLSearchParams(filter));
      let link: string | undefined = `${listPath()}?${filter}&page[limit]=2`;
      const walked: string[] = [];
      while (link) {
        const response = await api.get(link, listAuth());
        expectStatus(response, 200);
        expect(response.body.meta.total).toBe(expected.length);
        for (const name of ['self', 'first', 'last', 'prev', 'next']) {
          const pageLink = response.body.links[name];
          if (pageLink) expect(params(pageLink)).toEqual(expect.objectContaining(filterParams));
        }
        expect(ids(await api.get(response.body.links.last, listAuth())).length).toBeGreaterThan(0);
        walked.push(...ids(response));
        link = response.body.links.next ?? undefined;
        expect(walked.length).toBeLessThanOrEqual(expected.length);
      }
      expect(walked).toEqual(expected);
    },
  );

  test.each(['broken', 'READY', ''])('filter[state]=%s is a 400 naming the parameter', async (value) => {
    const response = await api.get(`${listPath()}?filter[state]=${value}`, listAuth());
    expectJsonApiError(response, 400);
    expect(response.body.errors[0].source).toEqual({ parameter: 'filter[state]' });
  });

  test('a filter naming nobody gives an empty list with total 0', async () => {
    const response = await api.get(`${listPath()}?filter[user]=${UNKNOWN_ID}`, listAuth());
    expectStatus(response, 200);
    expect(response.body.data).toEqual([]);
    expect(response.body.meta.total).toBe(0);
    expectStatus(await api.get(response.body.links.first, listAuth()), 200);
    expectStatus(await api.get(response.body.links.last, listAuth()), 200);
  });

  test('another workspace lists none of these', async () => {
    const response = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, adminAuth);
    expectStatus(response, 200);
    const listed = new Set(ids(response));
    expect(created.filter((secret) => listed.has(secret.id))).toEqual([]);
  });
});

describe('PATCH /v2/workspaces/{id}/secrets/{secretId}', () => {
  test('name only: the rest is kept, updated_at moves', async () => {
    const before = await createSecret(adminAuth, secretDocument(world.oauth2ClientId, { name: 'before' }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const response = await api.patch(before.links.self, adminAuth, {
      data: { type: 'auth-secret', id: before.id, attributes: { name: 'after' } },
    });
    expectStatus(response, 200);
    expect({ ...response.body, data: withoutMeta(response.body.data) }).toEqual({
      data: {
        ...withoutMeta(before),
        attributes: { ...before.attributes, name: 'after', updated_at: expect.stringMatching(ISO_TIME) },
      },
      meta: expect.any(Object),
    });
    expect(response.body.data.attributes.updated_at > before.attributes.updated_at).toBe(true);
    expect(await getSecret(before.id)).toEqual(response.body.data);
  });

  test('state and error: set an error, then back to ready without one', async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials: {} }));
    const failed = await api.patch(secret.links.self, adminAuth, {
      data: { type: 'auth-secret', attributes: { state: 'error', error: 'token revoked' } },
    });
    expectStatus(failed, 200);
    expect(failed.body.data.attributes).toEqual(
      expect.objectContaining({
        name: 'Auth secret',
        state: 'error',
        error: 'token revoked',
        credentials: {},
      }),
    );
    expect((await getSecret(secret.id)).attributes.error).toBe('token revoked');

    const ready = await api.patch(secret.links.self, adminAuth, {
      data: { type: 'auth-secret', attributes: { state: 'ready', error: null } },
    });
    expectStatus(ready, 200);
    expect(ready.body.data.attributes.state).toBe('ready');
    expect(ready.body.data.attributes.error ?? null).toBeNull();
    const read = await getSecret(secret.id);
    expect(read.attributes.state).toBe('ready');
    expect(read.attributes.error ?? null).toBeNull();
  });

  test('credentials: replaced and read back; expires_in as a digit string', async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.oauth2ClientId));
    const credentials = { access_token: 'new-access', refresh_token: 'new-refresh', expires_in: '7200' };
    const response = await api.patch(secret.links.self, adminAuth, {
      data: { type: 'auth-secret', id: secret.id, attributes: { credentials } },
    });
    expectStatus(response, 200);
    const read = await getSecret(secret.id);
    expect(read).toEqual(response.body.data);
    expect(read.attributes.credentials).toEqual({
      access_token: 'new-access',
      refresh_token: 'new-refresh',
      expires_in: expect.anything(),
    });
    expect(Number(read.attributes.credentials.expires_in)).toBe(7200);
    expect(read.relationships).toEqual(secret.relationships);
  });

  const relationshipForms: Array<[string, (clientId: string) => Record<string, unknown>]> = [
    [
      'relationships.auth-client',
      (id) => ({ relationships: { 'auth-client': { data: { id, type: 'auth-client' } } } }),
    ],
    [
      'relationships.auth_client',
      (id) => ({ relationships: { auth_client: { data: { id, type: 'auth-client' } } } }),
    ],
    ['auth-client directly under data', (id) => ({ 'auth-client': { data: { id, type: 'auth-client' } } })],
  ];

  test.each(relationshipForms)('auth-client change given as %s', async (_form, relationship) => {
    const secret = await createSecret(
      adminAuth,
      secretDocument(world.otherClientId, { credentials: { api_key: 'x' } }),
    );
    const credentials = oauth2Credentials('moved');
    const response = await api.patch(secret.links.self, adminAuth, {
      data: {
        type: 'auth-secret',
        id: secret.id,
        attributes: { credentials },
        ...relationship(world.oauth2ClientId),
      },
    });
    expectStatus(response, 200);
    expect(withoutMeta(response.body.data)).toEqual(
      expectedSecret({
        id: secret.id,
        authClientId: world.oauth2ClientId,
        name: 'Auth secret',
        state: 'ready',
        credentials,
      }),
    );
    expect(await getSecret(secret.id)).toEqual(response.body.data);
    await expectLinksResolve(response.body.data, adminAuth);
    const listed = await api.get(
      `${secretsPath(world.workspaceId)}?filter[auth_client]=${world.oauth2ClientId}&page[limit]=100`,
      adminAuth,
    );
    expect((listed.body.data as Json[]).map((resource) => resource.id)).toContain(secret.id);
    const former = await api.get(
      `${secretsPath(world.workspaceId)}?filter[auth_client]=${world.otherClientId}&page[limit]=100`,
      adminAuth,
    );
    expect((former.body.data as Json[]).map((resource) => resource.id)).not.toContain(secret.id);
  });

  test('auth-client change alone keeps credentials that suit the new client', async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.oauth2ClientId));
    const response = await api.patch(secret.links.self, adminAuth, {
      data: {
        type: 'auth-secret',
        relationships: { 'auth-client': { data: { id: world.otherClientId, type: 'auth-client' } } },
      },
    });
    expectStatus(response, 200);
    expect(response.body.data.relationships['auth-client'].data.id).toBe(world.otherClientId);
    expect((await getSecret(secret.id)).attributes.credentials).toEqual(oauth2Credentials());
  });

  test("the document's PATCH example, verbatim in shape, is accepted", async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials: {} }));
    const response = await api.patch(secretPath(world.workspaceId, secret.id), adminAuth, {
      data: {
        id: secret.id,
        type: 'auth-secret',
        attributes: {
          name: 'Auth secret',
          state: 'error',
          error: 'Something went technical wrong',
          credentials: { access_token: 'ACCESS', refresh_token: 'REFRESH', expires_in: '1000000' },
        },
        'auth-client': { data: { id: world.oauth2ClientId, type: 'auth-client' } },
      },
    });
    expectStatus(response, 200);
    expect({ ...response.body, data: withoutMeta(response.body.data) }).toEqual({
      data: expectedSecret({
        id: secret.id,
        authClientId: world.oauth2ClientId,
        name: 'Auth secret',
        state: 'error',
        error: 'Something went technical wrong',
        credentials: { access_token: 'ACCESS', refresh_token: 'REFRESH', expires_in: expect.anything() },
      }),
      meta: expect.any(Object),
    });
    expect(Number(response.body.data.attributes.credentials.expires_in)).toBe(1000000);
  });

  test('accepts Content-Type application/vnd.api+json', async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials: {} }));
    const response = await api.request('PATCH', secret.links.self, {
      auth: adminAuth,
      body: JSON.stringify({ data: { type: 'auth-secret', attributes: { name: 'vnd' } } }),
      headers: { 'Content-Type': 'application/vnd.api+json' },
    });
    expectStatus(response, 200);
    expect(response.body.data.attributes.name).toBe('vnd');
  });

  test('two concurrent PATCHes of different fields (name, state) both survive', async () => {
    for (let round = 0; round < 4; round++) {
      const secret = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials: {} }));
      const [renamed, failed] = await Promise.all([
        api.patch(secret.links.self, adminAuth, {
          data: { type: 'auth-secret', attributes: { name: `renamed ${round}` } },
        }),
        api.patch(secret.links.self, adminAuth, {
          data: { type: 'auth-secret', attributes: { state: 'error', error: `failed ${round}` } },
        }),
      ]);
      expectStatus(renamed, 200);
      expectStatus(failed, 200);
      expect(renamed.body.data.attributes.name).toBe(`renamed ${round}`);
      expect(failed.body.data.attributes.state).toBe('error');
      const read = await getSecret(secret.id);
      expect(read.attributes).toEqual(
        expect.objectContaining({ name: `renamed ${round}`, state: 'error', error: `failed ${round}` }),
      );
    }
  });
});

describe('DELETE /v2/workspaces/{id}/secrets/{secretId}', () => {
  test('204 with no body, then 404 for GET, PATCH and DELETE; gone from the list', async () => {
    const secret = await createSecret(adminAuth, secretDocument(world.otherClientId, { credentials: {} }));
    const listBefore = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=1`, adminAuth);
    const response = await api.delete(secret.links.self, adminAuth);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expectJsonApiError(await api.get(secret.links.self, adminAuth), 404);
    expectJsonApiError(
      await api.patch(secret.links.self, adminAuth, {
        data: { type: 'auth-secret', attributes: { name: 'x' } },
      }),
      404,
    );
    expectJsonApiError(await api.delete(secret.links.self, adminAuth), 404);
    const listAfter = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, adminAuth);
    expect(listAfter.body.meta.total).toBe(listBefore.body.meta.total - 1);
    expect((listAfter.body.data as Json[]).map((resource) => resource.id)).not.toContain(secret.id);
  });
});

describe('authentication forms', () => {
  test.each([
    ['Basic EMAIL:APIKEY', (user: TestUser) => basic(user)],
    ['X-Auth-Token', (user: TestUser) => token(user)],
    ['both, naming the same key', (user: TestUser) => ({ ...basic(user), ...token(user) })],
  ])('%s works on every endpoint', async (_form, authOf) => {
    const auth = authOf(editor);
    const deleter = await createMember(server.stack.services, world.workspaceId, {
      permissions: ['workspaces.auth_secret.delete'],
    });
    const created = await api.post(
      secretsPath(world.workspaceId),
      auth,
      secretDocument(world.otherClientId, { credentials: { form: _form } }),
    );
    expectStatus(created, 201);
    const { id } = created.body.data;
    const read = await api.get(secretPath(world.workspaceId, id), auth);
    expectStatus(read, 200);
    expect(read.body.data.attributes.credentials).toEqual({ form: _form });
    const listed = await api.get(`${secretsPath(world.workspaceId)}?filter[user]=${editor.id}`, auth);
    expectStatus(listed, 200);
    expect((listed.body.data as Json[]).some((resource) => resource.id === id)).toBe(true);
    const patched = await api.patch(secretPath(world.workspaceId, id), auth, {
      data: { type: 'auth-secret', attributes: { name: 'patched' } },
    });
    expectStatus(patched, 200);
    expect(patched.body.data.attributes.name).toBe('patched');
    const deleted = await api.delete(secretPath(world.workspaceId, id), authOf(deleter));
    expect(deleted.status).toBe(204);
    expectStatus(await api.get(`/v2/workspaces/${world.workspaceId}`, auth), 200);
    expectStatus(await api.get(`/v2/users/${editor.id}`, auth), 200);
  });
});

describe('credentials with members named __proto__', () => {
  // JSON.parse makes "__proto__" an own member, as it is in the request; object spreads and
  // assignments would instead set the prototype and lose it. Compared as JSON text, exactly.
  const sent = '{"__proto__":{"a":1,"__proto__":["deep"]},"plain":"x"}';
  const credentialsText = (resource: Json) => JSON.stringify(resource.attributes.credentials);

  test('are stored and shown exactly as sent: create, GET, list, PATCH', async () => {
    const created = await createSecret(
      adminAuth,
      secretDocument(world.otherClientId, { name: 'proto', credentials: JSON.parse(sent) }),
    );
    expect(credentialsText(created)).toBe(sent);
    expect(credentialsText(await getSecret(created.id))).toBe(sent);
    const list = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, adminAuth);
    expectStatus(list, 200);
    const listed = (list.body.data as Json[]).find((resource) => resource.id === created.id);
    expect(credentialsText(listed)).toBe(sent);

    const patchedText = '{"__proto__":"v"}';
    const patched = await api.patch(secretPath(world.workspaceId, created.id), adminAuth, {
      data: { type: 'auth-secret', attributes: { credentials: JSON.parse(patchedText) } },
    });
    expectStatus(patched, 200);
    expect(credentialsText(patched.body.data)).toBe(patchedText);
    expect(credentialsText(await getSecret(created.id))).toBe(patchedText);
  });

  test('oauth2 credentials, which hold exactly three members, refuse one with its pointer', async () => {
    const credentials = JSON.parse('{"access_token":"a","refresh_token":"r","expires_in":1,"__proto__":"x"}');
    const response = await api.post(
      secretsPath(world.workspaceId),
      adminAuth,
      secretDocument(world.oauth2ClientId, { credentials }),
    );
    expectJsonApiError(response, 422, { pointer: '/data/attributes/credentials/__proto__' });
  });
});

describe('response headers', () => {
  const expectHeaders = (response: { status: number; headers: Headers }) => {
    expect({
      status: response.status,
      cacheControl: response.headers.get('cache-control'),
      nosniff: response.headers.get('x-content-type-options'),
    }).toEqual({ status: response.status, cacheControl: 'no-store', nosniff: 'nosniff' });
  };

  test('every answer, success or error, says no-store and nosniff', async () => {
    const created = await api.post(
      secretsPath(world.workspaceId),
      adminAuth,
      secretDocument(world.otherClientId, { credentials: { api_key: 'cached-nowhere' } }),
    );
    expectStatus(created, 201);
    const path = secretPath(world.workspaceId, created.body.data.id);
    const answers = [
      created,
      await api.get(path, adminAuth),
      await api.get(secretsPath(world.workspaceId), adminAuth),
      await api.patch(path, adminAuth, { data: { type: 'auth-secret', attributes: { name: 'n' } } }),
      // An `other` secret cannot be refreshed: the refresh endpoint's own refusal.
      await api.request('POST', `${path}/refresh`, { auth: adminAuth }),
      await api.get(`/v2/workspaces/${world.workspaceId}`, adminAuth),
      await api.get(`/v2/users/${world.admin.id}`, adminAuth),
      await api.get(`/v2/tenants/${world.tenantId}/auth-clients/${world.otherClientId}`, adminAuth),
      await api.get(`/v2/tenants/${world.tenantId}/auth-clients`, adminAuth),
      await api.get(path, {}),
      await api.get(path, adminAuth, { Accept: 'text/html' }),
      await api.request('POST', secretsPath(world.workspaceId), {
        auth: adminAuth,
        body: '{',
        headers: { 'Content-Type': 'application/json' },
      }),
      await api.delete(path, adminAuth),
      await api.get(path, adminAuth),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([
      201, 200, 200, 200, 422, 200, 200, 200, 200, 401, 406, 400, 204, 404,
    ]);
    for (const answer of answers) expectHeaders(answer);
  });
});
