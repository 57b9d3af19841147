/**
 * Who may do what on the v1 API, and what bad input gets: 401 for a missing or wrong token, 403
 * for a missing permission or a workspace the caller is not in, 400/404/406/413/415 in Barbican's
 * body shape for bad requests — never a 500, and nothing half-written.
 */
import type { Permission } from '../../lib/model';
import { createMember, createOutsider, type TestUser } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import {
  createV1World,
  expectBarbicanError,
  expectStatus,
  idOf,
  inSequence,
  UNKNOWN_ID,
  V1Api,
  warmInstances,
  warmUp,
  type V1RequestOptions,
  type V1Response,
} from './v1Api';

let server: LocalServer;
let api: V1Api;
let world: Awaited<ReturnType<typeof createV1World>>;
let token: string;
let project: string;
const users: Record<string, TestUser> = {};

beforeAll(async () => {
  server = await startLocalServer();
  api = new V1Api(server.baseUrl);
  world = await createV1World(server.stack.services);
  token = world.admin.apiKey;
  project = world.workspaceId;
  const services = server.stack.services;
  users.viewer = await createMember(services, project, { role: 'viewer' });
  users.editor = await createMember(services, project, { role: 'editor' });
  users.v2Only = await createMember(services, project, {
    permissions: ['workspaces.auth_secret.get', 'workspaces.auth_secret.create'] as Permission[],
  });
  users.outsider = await createOutsider(services);
  await warmUp(api, token, project);
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

async function newSecret(document: Record<string, unknown> = { name: 'target' }): Promise<string> {
  const response = await api.request('POST', '/v1/secrets', { token, project, json: document });
  expectStatus(response, 201);
  return idOf(response.body.secret_ref);
}

async function total(): Promise<number> {
  return (await api.request('GET', '/v1/secrets?limit=1', { token, project })).body.total;
}

type Call = (id: string) => [string, string, Omit<V1RequestOptions, 'token' | 'project'>];

/** Every endpoint, the permission it takes, and Barbican's name for it. */
const ENDPOINTS: Array<[string, Permission, string, Call]> = [
  ['GET /v1/secrets', 'workspaces.secret.get', 'Secret(s) retrieval', () => ['GET', '/v1/secrets', {}]],
  [
    'POST /v1/secrets',
    'workspaces.secret.create',
    'Secret creation',
    () => ['POST', '/v1/secrets', { json: { name: 'by matrix' } }],
  ],
  [
    'GET /v1/secrets/{id}',
    'workspaces.secret.get',
    'Secret retrieval',
    (id) => ['GET', `/v1/secrets/${id}`, {}],
  ],
  [
    'GET /v1/secrets/{id}/payload',
    'workspaces.secret.get',
    'Secret payload retrieval',
    (id) => ['GET', `/v1/secrets/${id}/payload`, {}],
  ],
  [
    'PUT /v1/secrets/{id}',
    'workspaces.secret.edit',
    'Secret update',
    (id) => ['PUT', `/v1/secrets/${id}`, { body: 'p', headers: { 'Content-Type': 'text/plain' } }],
  ],
  [
    'DELETE /v1/secrets/{id}',
    'workspaces.secret.delete',
    'Secret deletion',
    (id) => ['DELETE', `/v1/secrets/${id}`, {}],
  ],
  [
    'GET /v1/secrets/{id}/metadata',
    'workspaces.secret.get',
    'Secret metadata retrieval',
    (id) => ['GET', `/v1/secrets/${id}/metadata`, {}],
  ],
  [
    'PUT /v1/secrets/{id}/metadata',
    'workspaces.secret.edit',
    'Secret metadata creation',
    (id) => ['PUT', `/v1/secrets/${id}/metadata`, { json: { metadata: { k: 'v' } } }],
  ],
  [
    'POST /v1/secrets/{id}/metadata',
    'workspaces.secret.edit',
    'Secret metadatum creation',
    (id) => ['POST', `/v1/secrets/${id}/metadata`, { json: { key: 'k2', value: 'v' } }],
  ],
  [
    'GET /v1/secrets/{id}/metadata/{key}',
    'workspaces.secret.get',
    'Secret metadatum retrieval',
    (id) => ['GET', `/v1/secrets/${id}/metadata/k`, {}],
  ],
  [
    'PUT /v1/secrets/{id}/metadata/{key}',
    'workspaces.secret.edit',
    'Secret metadatum update',
    (id) => ['PUT', `/v1/secrets/${id}/metadata/k`, { json: { key: 'k', value: 'w' } }],
  ],
  [
    'DELETE /v1/secrets/{id}/metadata/{key}',
    'workspaces.secret.edit',
    'Secret metadatum removal',
    (id) => ['DELETE', `/v1/secrets/${id}/metadata/k`, {}],
  ],
];

/** The role presets' v1 permissions (lib/model.ts ROLES). */
const HOLDS: Record<string, Permission[]> = {
  viewer: ['workspaces.secret.get'],
  editor: ['workspaces.secret.get', 'workspaces.secret.create', 'workspaces.secret.edit'],
  v2Only: [],
};

async function call(endpoint: Call, user: TestUser, id: string): Promise<V1Response> {
  const [method, path, options] = endpoint(id);
  return api.request(method, path, { token: user.apiKey, project, ...options });
}

describe('authentication', () => {
  test.each([
    ['no token', {}],
    ['an empty token', { 'X-Auth-Token': '' }],
    ['a token that is not an API key', { 'X-Auth-Token': 'gAAAAABkeystone-style-token' }],
  ])('%s is 401 on every endpoint', async (_name, headers) => {
    // Prepare
    const id = await newSecret();

    // Act
    const responses = await inSequence(
      ENDPOINTS.map(([, , , endpoint]) => () => {
        const [method, path, options] = endpoint(id);
        return api.request(method, path, {
          project,
          ...options,
          headers: { ...options.headers, ...headers },
        });
      }),
    );

    // Assess
    for (const response of responses) {
      expectBarbicanError(response, 401, 'The request you have made requires authentication.');
    }
  });

  test("a real key's id with a wrong secret is 401, and so is a revoked user's key shape with another user's id", async () => {
    // Prepare
    const [prefix, userId, keyId] = token.split('.');
    const wrongSecret = `${prefix}.${userId}.${keyId}.${'A'.repeat(43)}`;
    const otherUser = `${prefix}.${world.other.id}.${keyId}.${token.split('.')[3]}`;

    // Act
    const responses = await inSequence(
      [wrongSecret, otherUser].map((key) => () => api.request('GET', '/v1/secrets', { token: key, project })),
    );

    // Assess
    for (const response of responses) expectBarbicanError(response, 401);
  });
});

describe('a token together with Basic credentials', () => {
  const basic = (email: string, key: string) => `Basic ${Buffer.from(`${email}:${key}`).toString('base64')}`;
  const listWith = (authorization: string) =>
    api.request('GET', '/v1/secrets?limit=1', { token, project, headers: { Authorization: authorization } });

  test("naming the same key is the token's owner", async () => {
    // Act
    const response = await listWith(basic(world.admin.email, token));

    // Assess
    expectStatus(response, 200);
  });

  test.each([
    ['another user', () => basic(users.viewer?.email ?? '', users.viewer?.apiKey ?? '')],
    ['a wrong key', () => basic(world.admin.email, `${token}x`)],
    ['another e-mail', () => basic('someone-else@example.com', token)],
  ])('naming %s is 401', async (_name, authorization) => {
    // Act
    const response = await listWith(authorization());

    // Assess
    expectBarbicanError(response, 401, 'The request you have made requires authentication.');
  });
});

describe('permissions', () => {
  test.each(
    ENDPOINTS.map(
      ([name, permission, operation, endpoint]) => [name, permission, operation, endpoint] as const,
    ),
  )('%s takes %s; others get 403 naming the operation', async (_name, permission, operation, endpoint) => {
    // Prepare
    const id = await newSecret();

    // Act
    const answers = await inSequence(
      (['viewer', 'editor', 'v2Only'] as const).map((role) => async () => {
        const user = users[role];
        if (!user) throw new Error(`no ${role}`);
        return [role, await call(endpoint, user, id)] as const;
      }),
    );

    // Assess
    for (const [role, response] of answers) {
      if (HOLDS[role]?.includes(permission)) {
        expect({ role, status: response.status < 400 || response.status === 404 }).toEqual({
          role,
          status: true,
        });
      } else {
        expectBarbicanError(
          response,
          403,
          `${operation} attempt not allowed - please review your user/project privileges`,
        );
      }
    }
  });

  test('a caller who is not a member gets 403 for the workspace, with or without naming it', async () => {
    // Prepare
    const id = await newSecret();
    const outsider = users.outsider;
    if (!outsider) throw new Error('no outsider');

    // Act
    const named = await inSequence(
      ENDPOINTS.map(
        ([, , , endpoint]) =>
          () =>
            call(endpoint, outsider, id),
      ),
    );
    const unnamed = await api.request('GET', '/v1/secrets', { token: outsider.apiKey });
    const unknownWorkspace = await api.request('GET', '/v1/secrets', {
      token,
      project: '01900000-0000-7000-8000-00000000abcd',
    });
    const notAnId = await api.request('GET', '/v1/secrets', { token, project: 'x'.repeat(3000) });

    // Assess
    for (const response of [...named, unnamed, unknownWorkspace, notAnId]) expectBarbicanError(response, 403);
  });

  test('a viewer can read a secret and its payload, but not change or delete it', async () => {
    // Prepare
    const id = await newSecret({ payload: 'read me', payload_content_type: 'text/plain' });
    const viewer = users.viewer?.apiKey;

    // Act
    const read = await api.request('GET', `/v1/secrets/${id}/payload`, {
      token: viewer,
      project,
      headers: { Accept: 'text/plain' },
    });
    const deleted = await api.request('DELETE', `/v1/secrets/${id}`, { token: viewer, project });
    const still = await api.request('GET', `/v1/secrets/${id}`, { token, project });

    // Assess
    expect([read.status, read.text]).toEqual([200, 'read me']);
    expectBarbicanError(deleted, 403);
    expectStatus(still, 200);
  });
});

describe('bad input', () => {
  test.each([
    ['null', 'null'],
    ['an array', '[]'],
    ['a string', '"secret"'],
    ['a number', '42'],
    ['a nested name', '{"name": {"a": 1}}'],
    ['a fractional bit length', '{"bit_length": 1.5}'],
    ['a boolean bit length', '{"bit_length": true}'],
    ['a null algorithm', '{"algorithm": null}'],
    ['a null payload', '{"payload": null, "payload_content_type": "text/plain"}'],
    ['an empty payload', '{"payload": "   ", "payload_content_type": "text/plain"}'],
    ['a payload of the wrong type', '{"payload": ["x"], "payload_content_type": "text/plain"}'],
    [
      'a binary payload without base64',
      '{"payload": "abc", "payload_content_type": "application/octet-stream"}',
    ],
    [
      'broken base64',
      '{"payload": "abc", "payload_content_type": "application/octet-stream", "payload_content_encoding": "base64"}',
    ],
    ['a secret type Barbican lacks', '{"secret_type": "token"}'],
    ['an expiration past year 9999', '{"expiration": "9999-12-31T23:59:59-01:00"}'],
    ['an expiration of the wrong type', '{"expiration": 20300101}'],
    ['transport keys', '{"transport_key_needed": "true"}'],
    ['a content type alone', '{"payload_content_type": "text/plain"}'],
    ['truncated JSON', '{"name": "x"'],
    ['no body', ''],
  ])('POST with %s is a 400 and creates nothing', async (_name, body) => {
    // Prepare
    const before = await total();

    // Act
    const response = await api.request('POST', '/v1/secrets', {
      token,
      project,
      body,
      headers: { 'Content-Type': 'application/json' },
    });

    // Assess
    expectBarbicanError(response, 400);
    expect(await total()).toBe(before);
  });

  test('an oversized request is 413, and another media type 415, creating nothing', async () => {
    // Prepare
    const before = await total();

    // Act
    const hugePayload = await api.request('POST', '/v1/secrets', {
      token,
      project,
      json: { payload: 'x'.repeat(20_001), payload_content_type: 'text/plain' },
    });
    const hugeBody = await api.request('POST', '/v1/secrets', {
      token,
      project,
      json: { name: 'n', padding: 'y'.repeat(30_000) },
    });
    const form = await api.request('POST', '/v1/secrets', {
      token,
      project,
      body: 'name=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    const invalidUtf8 = await api.request('POST', '/v1/secrets', {
      token,
      project,
      body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      headers: { 'Content-Type': 'application/json' },
    });

    // Assess
    expectBarbicanError(hugePayload, 413, 'Provided information too large to process');
    expectBarbicanError(hugeBody, 413);
    expectBarbicanError(
      form,
      415,
      "Unexpected content type. Expected content types are: ['application/json']",
    );
    expect(invalidUtf8.status).toBeGreaterThanOrEqual(200);
    expect(invalidUtf8.status).toBeLessThan(500);
    expect(await total()).toBe(before + (invalidUtf8.status === 201 ? 1 : 0));
  });

  test.each([
    '/v1/secrets/%00',
    `/v1/secrets/${'a'.repeat(2000)}`,
    '/v1/secrets/01900000-0000-7000-8000-00000000000G',
    '/v1/secrets/01900000-0000-7000-8000-000000000000/metadata/%E2%80%AE',
    '/v1/secrets/..%2F..%2Fv2%2Fusers/payload',
  ])('GET %s is a 404, not a 500', async (path) => {
    // Act
    const response = await api.request('GET', path, { token, project });

    // Assess
    expectBarbicanError(response, 404);
  });

  test.each([
    '?limit=%FF%FE',
    '?offset=%E2%80%AE&limit=%00',
    '?name=%ZZ',
    '?name=%25%5C%5B(%2B',
    '?alg=%5B&mode=%2A',
    '?bits=1e3',
    '?secret_type=%00',
    `?name=${'n'.repeat(5000)}`,
  ])('GET /v1/secrets%s is a 200', async (query) => {
    // Act
    const response = await api.request('GET', `/v1/secrets${query}`, { token, project });

    // Assess
    expectStatus(response, 200);
    expect(typeof response.body.total).toBe('number');
  });

  test.each(['*/*;q=bad', 'text/plain;;;', ',,,', 'application/', 'text/plain; charset=', '\u00e4/\u00f6'])(
    'Accept %j on a payload answers 200 or 406, never 500',
    async (accept) => {
      // Prepare
      const id = await newSecret({ payload: 'p', payload_content_type: 'text/plain' });

      // Act
      const response = await api.request('GET', `/v1/secrets/${id}/payload`, {
        token,
        project,
        headers: { Accept: encodeURI(accept) === accept ? accept : Buffer.from(accept).toString('latin1') },
      });

      // Assess
      expect([200, 406]).toContain(response.status);
    },
  );

  test('a metadata change that is refused leaves the metadata as it was', async () => {
    // Prepare
    const id = await newSecret();
    await api.request('PUT', `/v1/secrets/${id}/metadata`, {
      token,
      project,
      json: { metadata: { a: '1' } },
    });

    // Act
    const refused = await inSequence([
      () =>
        api.request('PUT', `/v1/secrets/${id}/metadata`, {
          token,
          project,
          json: { metadata: { ok: 'x', 'bad key': 'y' } },
        }),
      () =>
        api.request('PUT', `/v1/secrets/${id}/metadata`, {
          token,
          project,
          json: { metadata: { a: 'x'.repeat(256) } },
        }),
      () => api.request('PUT', `/v1/secrets/${id}/metadata`, { token, project, json: { meta: {} } }),
      () => api.request('POST', `/v1/secrets/${id}/metadata`, { token, project, json: { key: 'b' } }),
      () =>
        api.request('POST', `/v1/secrets/${id}/metadata`, {
          token,
          project,
          json: { key: 'b', value: 'v', extra: 1 },
        }),
      () =>
        api.request('PUT', `/v1/secrets/${id}/metadata/a`, { token, project, json: { key: 'a', value: 7 } }),
    ]);
    const after = await api.request('GET', `/v1/secrets/${id}/metadata`, { token, project });

    // Assess
    for (const response of refused) expectBarbicanError(response, 400);
    expect(after.body).toEqual({ metadata: { a: '1' } });
  });

  test('concurrent first payloads: exactly one wins, the others get 409', async () => {
    // Prepare
    const id = await newSecret();
    await warmInstances(3, () =>
      api.request('PUT', `/v1/secrets/${UNKNOWN_ID}`, {
        token,
        project,
        body: 'warm',
        headers: { 'Content-Type': 'text/plain' },
      }),
    );

    // Act
    const responses = await Promise.all(
      ['one', 'two', 'three'].map((payload) =>
        api.request('PUT', `/v1/secrets/${id}`, {
          token,
          project,
          body: payload,
          headers: { 'Content-Type': 'text/plain' },
        }),
      ),
    );
    const stored = await api.request('GET', `/v1/secrets/${id}/payload`, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });

    // Assess
    expect(responses.map((response) => response.status).sort()).toEqual([204, 409, 409]);
    expect(['one', 'two', 'three']).toContain(stored.text);
  });
});
