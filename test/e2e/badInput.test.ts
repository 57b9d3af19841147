/**
 * Bad input, table-driven: every case must get its 4xx with a JSON:API `errors` array whose entry
 * has `status`, `detail` and (where a field is at fault) a `source` naming it; never a 500; and
 * the stored data must be exactly as before.
 */
import { connect, createServer, type Socket } from 'node:net';
import { createAuthClient } from '../../lib/directory/admin';
import { createWorld, oauth2Credentials, type World } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import {
  Api,
  basic,
  expectJsonApiError,
  expectStatus,
  secretPath,
  secretsPath,
  UNKNOWN_ID,
  type ErrorSource,
  type HeaderMap,
  type Json,
} from './api';

let server: LocalServer;
let api: Api;
let world: World;
let auth: HeaderMap;
/** An oauth2 secret and an `other` secret, the targets of the PATCH cases. */
let oauth2Secret: Json;
let otherSecret: Json;
/** The target of the DELETE cases, so that a wrongful delete cannot spoil the other cases. */
let deleteTarget: Json;
/** An auth-client of another tenant. */
let foreignClientId: string;

/** The one origin this file's server allows (CORS_ALLOWED_ORIGINS). */
const APP_ORIGIN = 'http://app.example';
const OTHER_ORIGIN = 'http://evil.example';

beforeAll(async () => {
  // This file's server allows one origin, and gives the refresh function 2 s (local mode only)
  // while its token request would wait a minute: a refresh against a token endpoint that never
  // answers is a function timeout, quickly.
  server = await startLocalServer({
    own: true,
    env: {
      CORS_ALLOWED_ORIGINS: APP_ORIGIN,
      LOCAL_FUNCTION_TIMEOUTS: 'secretsRefresh=2',
      REFRESH_TIMEOUT_MS: '60000',
    },
  });
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  auth = basic(world.admin);
  const foreign = await createWorld(server.stack.services);
  foreignClientId = foreign.otherClientId;
  const created = await Promise.all([
    api.post(secretsPath(world.workspaceId), auth, secretDocument(world.oauth2ClientId, { name: 'oauth2' })),
    api.post(
      secretsPath(world.workspaceId),
      auth,
      secretDocument(world.otherClientId, { name: 'other', credentials: { api_key: 'k' } }),
    ),
    api.post(
      secretsPath(world.workspaceId),
      auth,
      secretDocument(world.otherClientId, { name: 'delete me not', credentials: {} }),
    ),
  ]);
  for (const response of created) expectStatus(response, 201);
  [oauth2Secret, otherSecret, deleteTarget] = created.map((response) => response.body.data);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

function secretDocument(authClientId: string, attributes: Record<string, unknown> = {}) {
  return {
    data: {
      type: 'auth-secret',
      attributes: { name: 'Auth secret', state: 'ready', credentials: oauth2Credentials(), ...attributes },
      relationships: { 'auth-client': { data: { id: authClientId, type: 'auth-client' } } },
    },
  };
}

/** A valid create document with `change` applied to a copy of it. */
function createWith(change: (data: Json) => void, authClientId = () => world.oauth2ClientId): () => Json {
  return () => {
    const document: Json = secretDocument(authClientId());
    change(document.data);
    return document;
  };
}

/** A PATCH document for the oauth2 secret with `data` as given. */
function patchWith(data: Json): () => Json {
  return () => ({ data: { type: 'auth-secret', ...data } });
}

/** What the service stores, as the API shows it: the list (total and items) and each target's GET. */
async function snapshot() {
  const [list, ...targets] = await Promise.all([
    api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth),
    ...[oauth2Secret, otherSecret, deleteTarget].map((secret) =>
      api.get(secretPath(world.workspaceId, secret.id), auth),
    ),
  ]);
  if (!list) throw new Error('no list');
  expectStatus(list, 200);
  return {
    total: list.body.meta.total,
    list: list.body.data,
    targets: targets.map((response) => ({ status: response.status, body: response.body })),
  };
}

interface Case {
  readonly method: 'POST' | 'PATCH' | 'GET' | 'DELETE';
  /** Defaults: the collection for POST, the oauth2 secret otherwise. */
  readonly path?: () => string;
  /** A JSON body (serialised), or a raw string sent as is. */
  readonly body?: (() => Json) | string;
  readonly headers?: HeaderMap;
  readonly status: number | readonly number[];
  readonly source?: ErrorSource | { pointer: RegExp };
}

const VALIDATION = [400, 422] as const;
const HUGE = 'x'.repeat(70 * 1024);

const CASES: Record<string, Case> = {
  // --- the body as a whole ---
  'POST malformed JSON': { method: 'POST', body: '{"data": {"type": "auth-secret",', status: 400 },
  'POST empty body': { method: 'POST', body: '', status: 400 },
  'POST whitespace body': { method: 'POST', body: '   \n', status: 400 },
  'POST JSON null': { method: 'POST', body: 'null', status: 400 },
  'POST JSON array': { method: 'POST', body: '[]', status: 400 },
  'POST JSON string': { method: 'POST', body: '"auth-secret"', status: 400 },
  'POST without data': { method: 'POST', body: () => ({ type: 'auth-secret' }), status: 400 },
  'POST data is a string': {
    method: 'POST',
    body: () => ({ data: 'auth-secret' }),
    status: VALIDATION,
    source: { pointer: '/data' },
  },
  'POST data is an array': {
    method: 'POST',
    body: () => ({ data: [secretDocument(world.oauth2ClientId).data] }),
    status: VALIDATION,
    source: { pointer: '/data' },
  },
  'POST data is null': {
    method: 'POST',
    body: () => ({ data: null }),
    status: VALIDATION,
    source: { pointer: '/data' },
  },
  'POST body over 64 KiB': {
    method: 'POST',
    body: createWith((data) => (data.attributes.name = HUGE)),
    status: 413,
  },
  // --- type and id ---
  'POST wrong data.type': {
    method: 'POST',
    body: createWith((data) => (data.type = 'auth-secrets')),
    status: 409,
    source: { pointer: '/data/type' },
  },
  'POST missing data.type': {
    method: 'POST',
    body: createWith((data) => delete data.type),
    status: [400, 409, 422],
    source: { pointer: '/data/type' },
  },
  'POST client-generated data.id': {
    method: 'POST',
    body: createWith((data) => (data.id = UNKNOWN_ID)),
    status: [403, 409],
    source: { pointer: '/data/id' },
  },
  // --- attributes ---
  'POST missing attributes': {
    method: 'POST',
    body: createWith((data) => delete data.attributes),
    status: VALIDATION,
    source: { pointer: /^\/data\/attributes(\/name)?$/ },
  },
  'POST missing name': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.name),
    status: VALIDATION,
    source: { pointer: '/data/attributes/name' },
  },
  'POST empty name': {
    method: 'POST',
    body: createWith((data) => (data.attributes.name = '   ')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/name' },
  },
  'POST name is a number': {
    method: 'POST',
    body: createWith((data) => (data.attributes.name = 42)),
    status: VALIDATION,
    source: { pointer: '/data/attributes/name' },
  },
  'POST missing state': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.state),
    status: VALIDATION,
    source: { pointer: '/data/attributes/state' },
  },
  'POST bad state value': {
    method: 'POST',
    body: createWith((data) => (data.attributes.state = 'pending')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/state' },
  },
  'POST error is not a string': {
    method: 'POST',
    body: createWith((data) => (data.attributes.error = { message: 'x' })),
    status: VALIDATION,
    source: { pointer: '/data/attributes/error' },
  },
  'POST missing credentials': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.credentials),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials' },
  },
  'POST credentials is a string': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials = 'access-token')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials' },
  },
  'POST credentials is null (other client)': {
    method: 'POST',
    body: createWith(
      (data) => (data.attributes.credentials = null),
      () => world.otherClientId,
    ),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials' },
  },
  'POST credentials is an array (other client)': {
    method: 'POST',
    body: createWith(
      (data) => (data.attributes.credentials = ['api-key']),
      () => world.otherClientId,
    ),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials' },
  },
  'POST unknown attribute': {
    method: 'POST',
    body: createWith((data) => (data.attributes.colour = 'blue')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/colour' },
  },
  // --- oauth2 credentials ---
  'POST oauth2 credentials without refresh_token': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.credentials.refresh_token),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/refresh_token' },
  },
  'POST oauth2 credentials without access_token': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.credentials.access_token),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/access_token' },
  },
  'POST oauth2 credentials without expires_in': {
    method: 'POST',
    body: createWith((data) => delete data.attributes.credentials.expires_in),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 credentials with an extra field': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.scope = 'read')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/scope' },
  },
  'POST oauth2 expires_in negative': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.expires_in = -1)),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 expires_in negative string': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.expires_in = '-60')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 expires_in non-numeric string': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.expires_in = 'soon')),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 expires_in fractional': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.expires_in = 1.5)),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 expires_in boolean': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.expires_in = true)),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'POST oauth2 access_token not a string': {
    method: 'POST',
    body: createWith((data) => (data.attributes.credentials.access_token = 12345)),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/access_token' },
  },
  // --- the auth-client relationship ---
  'POST missing relationship': {
    method: 'POST',
    body: createWith((data) => delete data.relationships),
    status: VALIDATION,
    source: { pointer: /^\/data\/relationships\/auth[-_]client$/ },
  },
  'POST unknown auth-client id': {
    method: 'POST',
    body: createWith((data) => (data.relationships['auth-client'].data.id = UNKNOWN_ID)),
    status: VALIDATION,
    source: { pointer: '/data/relationships/auth-client/data/id' },
  },
  'POST auth-client id that is not an id': {
    method: 'POST',
    body: createWith((data) => (data.relationships['auth-client'].data.id = 'client')),
    status: VALIDATION,
    source: { pointer: '/data/relationships/auth-client/data/id' },
  },
  'POST auth-client of another tenant': {
    method: 'POST',
    body: createWith(
      (data) => (data.attributes.credentials = { api_key: 'k' }),
      () => foreignClientId,
    ),
    status: VALIDATION,
    source: { pointer: '/data/relationships/auth-client/data/id' },
  },
  'POST relationship of the wrong type': {
    method: 'POST',
    body: createWith((data) => (data.relationships['auth-client'].data.type = 'workspace')),
    status: [400, 409, 422],
    source: { pointer: '/data/relationships/auth-client/data/type' },
  },
  'POST relationship without data': {
    method: 'POST',
    body: createWith((data) => (data.relationships['auth-client'] = { id: world.oauth2ClientId })),
    status: VALIDATION,
    source: { pointer: /^\/data\/relationships\/auth-client(\/data)?$/ },
  },
  // --- media types ---
  'POST Content-Type text/plain': {
    method: 'POST',
    body: () => secretDocument(world.oauth2ClientId),
    headers: { 'Content-Type': 'text/plain' },
    status: 415,
  },
  'POST without Content-Type': {
    method: 'POST',
    body: () => secretDocument(world.oauth2ClientId),
    headers: { 'Content-Type': '' },
    status: 415,
  },
  'POST vnd.api+json with a media type parameter': {
    method: 'POST',
    body: () => secretDocument(world.oauth2ClientId),
    headers: { 'Content-Type': 'application/vnd.api+json; version=2' },
    status: 415,
  },
  'POST Accept: text/html': {
    method: 'POST',
    body: () => secretDocument(world.oauth2ClientId),
    headers: { Accept: 'text/html' },
    status: 406,
  },
  'GET Accept: text/html': { method: 'GET', headers: { Accept: 'text/html' }, status: 406 },
  'GET list Accept: text/html': {
    method: 'GET',
    path: () => secretsPath(world.workspaceId),
    headers: { Accept: 'text/html' },
    status: 406,
  },
  'GET Accept: vnd.api+json with a media type parameter only': {
    method: 'GET',
    headers: { Accept: 'application/vnd.api+json; version=2' },
    status: 406,
  },
  'PATCH Content-Type text/plain': {
    method: 'PATCH',
    body: patchWith({ attributes: { name: 'x' } }),
    headers: { 'Content-Type': 'text/plain' },
    status: 415,
  },
  'PATCH Accept: text/html': {
    method: 'PATCH',
    body: patchWith({ attributes: { name: 'x' } }),
    headers: { Accept: 'text/html' },
    status: 406,
  },
  // --- PATCH bodies ---
  'PATCH mismatched data.id': {
    method: 'PATCH',
    body: () => ({ data: { type: 'auth-secret', id: otherSecret.id, attributes: { name: 'x' } } }),
    status: 409,
    source: { pointer: '/data/id' },
  },
  'PATCH wrong data.type': {
    method: 'PATCH',
    body: () => ({ data: { type: 'auth-client', attributes: { name: 'x' } } }),
    status: 409,
    source: { pointer: '/data/type' },
  },
  'PATCH malformed JSON': { method: 'PATCH', body: '{"data":', status: 400 },
  'PATCH empty body': { method: 'PATCH', body: '', status: 400 },
  'PATCH data is a string': {
    method: 'PATCH',
    body: () => ({ data: 'x' }),
    status: VALIDATION,
    source: { pointer: '/data' },
  },
  'PATCH bad state': {
    method: 'PATCH',
    body: patchWith({ attributes: { state: 'broken' } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/state' },
  },
  'PATCH empty name': {
    method: 'PATCH',
    body: patchWith({ attributes: { name: '' } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/name' },
  },
  'PATCH unknown attribute': {
    method: 'PATCH',
    body: patchWith({ attributes: { name: 'x', expires: 'never' } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/expires' },
  },
  'PATCH oauth2 credentials missing a field': {
    method: 'PATCH',
    body: patchWith({ attributes: { credentials: { refresh_token: 'r', expires_in: 60 } } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/access_token' },
  },
  'PATCH oauth2 credentials with an extra field': {
    method: 'PATCH',
    body: patchWith({ attributes: { credentials: { ...oauth2Credentials(), token_type: 'Bearer' } } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/token_type' },
  },
  'PATCH oauth2 expires_in negative': {
    method: 'PATCH',
    body: patchWith({ attributes: { credentials: { ...oauth2Credentials(), expires_in: -5 } } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials/expires_in' },
  },
  'PATCH credentials not an object': {
    method: 'PATCH',
    body: patchWith({ attributes: { credentials: 7 } }),
    status: VALIDATION,
    source: { pointer: '/data/attributes/credentials' },
  },
  'PATCH unknown auth-client': {
    method: 'PATCH',
    body: patchWith({
      relationships: { 'auth-client': { data: { id: UNKNOWN_ID, type: 'auth-client' } } },
    }),
    status: VALIDATION,
    source: { pointer: '/data/relationships/auth-client/data/id' },
  },
  'PATCH auth-client of another tenant (auth_client spelling)': {
    method: 'PATCH',
    path: () => secretPath(world.workspaceId, otherSecret.id),
    body: () => ({
      data: {
        type: 'auth-secret',
        relationships: { auth_client: { data: { id: foreignClientId, type: 'auth-client' } } },
      },
    }),
    status: VALIDATION,
    source: { pointer: /^\/data\/relationships\/auth[-_]client\/data\/id$/ },
  },
  'PATCH auth-client given twice with different ids': {
    method: 'PATCH',
    body: () => ({
      data: {
        type: 'auth-secret',
        relationships: { 'auth-client': { data: { id: world.otherClientId, type: 'auth-client' } } },
        'auth-client': { data: { id: world.oauth2ClientId, type: 'auth-client' } },
      },
    }),
    status: [400, 409, 422],
    source: { pointer: /^\/data\/(relationships\/)?auth-client/ },
  },
  'PATCH to an oauth2 client with credentials that do not suit it': {
    method: 'PATCH',
    path: () => secretPath(world.workspaceId, otherSecret.id),
    body: () => ({
      data: {
        type: 'auth-secret',
        relationships: { 'auth-client': { data: { id: world.oauth2ClientId, type: 'auth-client' } } },
      },
    }),
    status: VALIDATION,
    source: { pointer: /^\/data\/attributes\/credentials/ },
  },
  'PATCH body over 64 KiB': {
    method: 'PATCH',
    body: patchWith({ attributes: { name: HUGE } }),
    status: 413,
  },
  'PATCH unknown relationship': {
    method: 'PATCH',
    body: patchWith({ relationships: { user: { data: { id: UNKNOWN_ID, type: 'user' } } } }),
    status: [400, 403, 409, 422],
    source: { pointer: /^\/data\/relationships\/user/ },
  },
  // --- query parameters of the list ---
  ...Object.fromEntries(
    (
      [
        ['page[limit]', '101'],
        ['page[limit]', '1000000'],
        ['page[limit]', '99999999999999999999999'],
        ['page[limit]', '-1'],
        ['page[limit]', '0'],
        ['page[limit]', 'ten'],
        ['page[limit]', '1.5'],
        ['page[limit]', '1e2'],
        ['page[limit]', ''],
        ['page[offset]', '-1'],
        ['page[offset]', 'abc'],
        ['page[offset]', '99999999999999999999999'],
        ['page[offset]', '0x10'],
        ['page[offset]', ' 5'],
        ['page[after]', ''],
        ['page[after]', 'not-an-id'],
        ['page[after]', '01900000-0000-7000-8000-00000000000G'],
        ['filter[user]', ''],
        ['filter[auth_client]', ''],
        ['sort', 'name'],
        ['include', 'user'],
        ['page[size]', '5'],
        ['filter[name]', 'x'],
        ['foo', 'bar'],
      ] as const
    ).map(([parameter, value]): [string, Case] => [
      `GET list ${parameter}=${JSON.stringify(value)}`,
      {
        method: 'GET',
        path: () =>
          `${secretsPath(world.workspaceId)}?${encodeURIComponent(parameter)}=${encodeURIComponent(value)}`,
        status: 400,
        source: { parameter },
      },
    ]),
  ),
  'GET list with page[limit] given twice': {
    method: 'GET',
    path: () => `${secretsPath(world.workspaceId)}?page[limit]=5&page[limit]=6`,
    status: 400,
    source: { parameter: 'page[limit]' },
  },
  'GET one with an unknown query parameter': {
    method: 'GET',
    path: () => `${secretPath(world.workspaceId, oauth2Secret.id)}?foo=bar`,
    status: 400,
    source: { parameter: 'foo' },
  },
  'POST with an unknown query parameter': {
    method: 'POST',
    path: () => `${secretsPath(world.workspaceId)}?foo=bar`,
    body: () => secretDocument(world.oauth2ClientId),
    status: 400,
    source: { parameter: 'foo' },
  },
  'DELETE with an unknown query parameter': {
    method: 'DELETE',
    path: () => `${secretPath(world.workspaceId, deleteTarget.id)}?foo=bar`,
    status: 400,
    source: { parameter: 'foo' },
  },
};

describe('bad input', () => {
  /**
   * The state before the current case. Each case is compared with the state the previous one left,
   * so that one wrongful change fails its own case and not every case after it.
   */
  let before: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    before = await snapshot();
    expect(before.targets.map((target) => target.status)).toEqual([200, 200, 200]);
  });

  test.each(Object.entries(CASES))('%s', async (_name, testCase) => {
    const path =
      testCase.path?.() ??
      (testCase.method === 'POST'
        ? secretsPath(world.workspaceId)
        : secretPath(world.workspaceId, oauth2Secret.id));
    const body =
      testCase.body === undefined
        ? undefined
        : typeof testCase.body === 'string'
          ? testCase.body
          : JSON.stringify(testCase.body());
    const headers: HeaderMap = {
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...testCase.headers,
    };
    if (headers['Content-Type'] === '') delete headers['Content-Type'];
    const response = await api.request(testCase.method, path, { auth, body, headers });
    // A GET cannot change anything; every other refused request must have left the data as it was.
    const after = testCase.method === 'GET' ? before : await snapshot();
    const previous = before;
    before = after;
    expectJsonApiError(response, testCase.status, testCase.source);
    expect(after).toEqual(previous);
  });

  test('page[offset]=0 and page[limit]=1 / 100 (the bounds) are accepted', async () => {
    for (const query of [
      'page[offset]=0',
      'page[limit]=1',
      'page[limit]=100',
      'page[offset]=0&page[limit]=100',
    ]) {
      const response = await api.get(`${secretsPath(world.workspaceId)}?${query}`, auth);
      expectStatus(response, 200);
      expect(response.body.meta.total).toBe(before.total);
    }
  });

  test('a rejected request never echoes the credentials it carried', async () => {
    const response = await api.post(secretsPath(world.workspaceId), auth, {
      data: {
        type: 'auth-secret',
        attributes: {
          name: 'leak?',
          state: 'ready',
          credentials: { access_token: 'do-not-echo-me', refresh_token: 'r', expires_in: 'never' },
        },
        relationships: { 'auth-client': { data: { id: world.oauth2ClientId, type: 'auth-client' } } },
      },
    });
    expectJsonApiError(response, VALIDATION, { pointer: '/data/attributes/credentials/expires_in' });
    expect(response.text).not.toContain('do-not-echo-me');
  });

  test('an auth-client added to the tenant later is usable: the refusal was about the id, not a cache', async () => {
    const start = await snapshot();
    const { id } = await createAuthClient(server.stack.services, {
      tenantId: world.tenantId,
      name: 'late',
      type: 'other',
    });
    const response = await api.post(secretsPath(world.workspaceId), auth, {
      data: {
        type: 'auth-secret',
        attributes: { name: 'late', state: 'ready', credentials: {} },
        relationships: { 'auth-client': { data: { id, type: 'auth-client' } } },
      },
    });
    expectStatus(response, 201);
    const deleted = await api.delete(response.body.data.links.self, auth);
    expect(deleted.status).toBe(204);
    expect(await snapshot()).toEqual(start);
  });
});

/** The response's CORS headers, by name. */
const corsHeadersOf = (response: { headers: Headers }) =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));

/** A token endpoint that accepts connections and never answers. */
async function silentTokenEndpoint(): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolveListen) => silent.listen(0, '127.0.0.1', resolveListen));
  const address = silent.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/token`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolveClose) => silent.close(resolveClose));
    },
  };
}

describe("the local gateway's own answers, as API Gateway gives them", () => {
  test.each([
    ['GET', '/v2/nothing-here'],
    ['PUT', '/v2/users/someone'],
    ['GET', '/v2/workspaces/w/secrets/s/extra'],
  ])('%s %s (no such route) is a JSON:API 404 that lists no routes', async (method, path) => {
    const response = await api.request(method, path, { auth });
    expectJsonApiError(response, 404);
    expect(response.text).not.toMatch(/offline|existingRoutes|\/v1\/secrets/i);
    // The same headers as every handler's answer.
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test.each(['/v2/users/%E0%A4%A', `/v2/workspaces/%ZZ/secrets`, '/v2/us%ZZers/x'])(
    'GET %s (malformed percent-encoding) is a JSON:API 400',
    async (path) => {
      const response = await api.get(path, auth);
      expectJsonApiError(response, 400);
      expect(response.headers.get('cache-control')).toBe('no-store');
    },
  );

  test.each([
    ['a raw space in the path', 'GET /v2/users/a b HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a header line without a colon', 'GET /v2/users/x HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n', 400],
    [
      'Content-Length beside Transfer-Encoding',
      'POST /v2/users/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
    ],
    [
      'headers past 16 KiB',
      `GET /v2/users/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17_000)}\r\n\r\n`,
      431,
    ],
    [
      'an Expect other than 100-continue',
      'GET /v2/users/x HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n\r\n',
      417,
    ],
  ])(
    'a request Node cannot take (%s) is a JSON:API error with the same headers',
    async (_case, request, status) => {
      // Act: written on a socket as sent, since no HTTP client sends these
      const answer = await rawExchange(server.baseUrl, request);

      // Assess
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(head).toMatch(/^cache-control: no-store$/im);
      expect(head).toMatch(/^x-content-type-options: nosniff$/im);
      expect(head).toMatch(/^content-type: application\/json/im);
      const document = JSON.parse(body) as { errors: Array<{ status: string }> };
      expect(document.errors[0]?.status).toBe(String(status));
    },
  );

  test('a handler that times out is a JSON:API 504 without the error type, stack or paths', async () => {
    const silent = await silentTokenEndpoint();
    try {
      const other = await createWorld(server.stack.services);
      const { id: clientId } = await createAuthClient(server.stack.services, {
        tenantId: other.tenantId,
        name: 'never answers',
        type: 'oauth2',
        tokenUrl: silent.url,
        clientId: 'client',
        clientSecret: 'client-secret',
      });
      const otherAuth = basic(other.admin);
      const created = await api.post(secretsPath(other.workspaceId), otherAuth, secretDocument(clientId));
      expectStatus(created, 201);

      const response = await api.request(
        'POST',
        `${secretPath(other.workspaceId, created.body.data.id)}/refresh`,
        {
          auth: otherAuth,
        },
      );

      expectJsonApiError(response, 504);
      expect(response.text).not.toMatch(/Lambda|stack|node_modules|\.[cm]?[jt]s\b/i);
      expect(response.text).not.toContain(process.cwd());
    } finally {
      await silent.close();
    }
  }, 60_000);

  test('CORS: an allowed origin is named back, without credentials; any other origin gets no CORS header', async () => {
    const allowed = await api.get(secretsPath(world.workspaceId), auth, { Origin: APP_ORIGIN });
    const other = await api.get(secretsPath(world.workspaceId), auth, { Origin: OTHER_ORIGIN });

    expectStatus(allowed, 200);
    expect(corsHeadersOf(allowed)).toEqual(
      expect.objectContaining({ 'access-control-allow-origin': APP_ORIGIN }),
    );
    expect(corsHeadersOf(allowed)['access-control-allow-credentials']).toBeUndefined();
    expectStatus(other, 200);
    expect(corsHeadersOf(other)).toEqual({});
  });

  test('CORS preflight: an allowed origin learns the methods and headers; any other origin nothing', async () => {
    const preflight = (origin: string) =>
      api.request('OPTIONS', secretPath(world.workspaceId, oauth2Secret.id), {
        headers: {
          Origin: origin,
          'Access-Control-Request-Method': 'PATCH',
          'Access-Control-Request-Headers': 'authorization, content-type, if-match',
        },
      });

    const allowed = await preflight(APP_ORIGIN);
    const other = await preflight(OTHER_ORIGIN);

    expect(allowed.status).toBe(204);
    const headers = corsHeadersOf(allowed);
    expect(headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    expect(headers['access-control-allow-credentials']).toBeUndefined();
    expect(headers['access-control-allow-methods']?.split(',')).toEqual(
      expect.arrayContaining(['GET', 'POST', 'PATCH', 'DELETE']),
    );
    const allowedHeaders = (headers['access-control-allow-headers'] ?? '').toLowerCase().split(',');
    expect(allowedHeaders).toEqual(
      expect.arrayContaining([
        'authorization',
        'x-auth-token',
        'content-type',
        'accept',
        'idempotency-key',
        'if-match',
        'if-none-match',
      ]),
    );
    expect(other.status).toBe(204);
    expect(corsHeadersOf(other)).toEqual({});
  });
});

/** Writes `request` on a new connection to `baseUrl` as it is, and reads the answer until the server closes. */
function rawExchange(baseUrl: string, request: string): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolveAnswer, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.end(request));
    socket.setTimeout(10_000, () => socket.destroy(new Error('no answer within 10 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      resolveAnswer(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
