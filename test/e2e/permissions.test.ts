/**
 * Who may do what: the permission the document names for each endpoint, non-members, secrets of
 * other workspaces, every way to fail authentication, roles, and the linked users/auth-clients.
 */
import http from 'node:http';
import { addMember, createWorkspace } from '../../lib/directory/admin';
import { PERMISSIONS, type Permission } from '../../lib/model';
import {
  createMember,
  createOutsider,
  createWorld,
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
  type ApiResponse,
  type HeaderMap,
  type Json,
} from './api';

/** Every permission the service knows (the v2 five and any others): "all but one" means all of these but one. */
const ALL_PERMISSIONS: readonly Permission[] = PERMISSIONS;

let server: LocalServer;
let api: Api;
let world: World;
/** A secret of `world` that no test may change; checked unchanged after every refusal. */
let fixed: Json;
/** Another member of `world`, with a valid key of their own. */
let viewer: TestUser;

beforeAll(async () => {
  server = await startLocalServer();
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  const created = await api.post(
    secretsPath(world.workspaceId),
    basic(world.admin),
    secretDocument(world.oauth2ClientId, { name: 'fixed' }),
  );
  expectStatus(created, 201);
  fixed = created.body.data;
  viewer = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

async function createSecret(workspaceId = world.workspaceId, auth: HeaderMap = basic(world.admin)) {
  const response = await api.post(
    secretsPath(workspaceId),
    auth,
    secretDocument(world.otherClientId, { credentials: { api_key: 'disposable' } }),
  );
  expectStatus(response, 201);
  return response.body.data;
}

async function expectFixedUnchanged(): Promise<void> {
  const response = await api.get(secretPath(world.workspaceId, fixed.id), basic(world.admin));
  expectStatus(response, 200);
  expect(response.body.data).toEqual(fixed);
}

interface EndpointCase {
  readonly name: string;
  readonly permission: Permission;
  /** What a caller holding the permission gets for a disposable `other` secret. */
  readonly allowed: number | readonly number[];
  /** Sends the request; `target` is a secret it may consume (DELETE) or change (PATCH). */
  readonly send: (auth: HeaderMap, workspaceId: string, targetId: string) => Promise<ApiResponse>;
}

const ENDPOINTS: EndpointCase[] = [
  {
    name: 'GET list',
    permission: 'workspaces.auth_secret.get',
    allowed: 200,
    send: (auth, workspaceId) => api.get(secretsPath(workspaceId), auth),
  },
  {
    name: 'GET one',
    permission: 'workspaces.auth_secret.get',
    allowed: 200,
    send: (auth, workspaceId, id) => api.get(secretPath(workspaceId, id), auth),
  },
  {
    name: 'POST',
    permission: 'workspaces.auth_secret.create',
    allowed: 201,
    send: (auth, workspaceId) =>
      api.post(
        secretsPath(workspaceId),
        auth,
        secretDocument(world.otherClientId, { credentials: { k: 1 } }),
      ),
  },
  {
    name: 'PATCH',
    permission: 'workspaces.auth_secret.edit',
    allowed: 200,
    send: (auth, workspaceId, id) =>
      api.patch(secretPath(workspaceId, id), auth, {
        data: { type: 'auth-secret', attributes: { name: 'changed by a test' } },
      }),
  },
  {
    name: 'DELETE',
    permission: 'workspaces.auth_secret.delete',
    allowed: 204,
    send: (auth, workspaceId, id) => api.delete(secretPath(workspaceId, id), auth),
  },
  {
    name: 'POST refresh',
    permission: 'workspaces.auth_secret.refresh',
    // Past authorisation, an `other` secret has nothing to refresh: a clear 4xx (DESIGN.md).
    allowed: [400, 409, 422],
    send: (auth, workspaceId, id) => api.request('POST', `${secretPath(workspaceId, id)}/refresh`, { auth }),
  },
];

const endpointTable = ENDPOINTS.map((endpoint) => [endpoint.name, endpoint.permission, endpoint] as const);

describe('the permission the document names for each endpoint', () => {
  test.each(endpointTable)(
    '%s: a member with every permission but %s gets 403',
    async (_name, permission, endpoint) => {
      const member = await createMember(server.stack.services, world.workspaceId, {
        permissions: ALL_PERMISSIONS.filter((candidate) => candidate !== permission),
      });
      const listBefore = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=1`, basic(world.admin));
      for (const auth of [basic(member), token(member)]) {
        const response = await endpoint.send(auth, world.workspaceId, fixed.id);
        expectJsonApiError(response, 403);
        expect(response.body.errors[0].detail).toEqual(expect.any(String));
      }
      await expectFixedUnchanged();
      const listAfter = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=1`, basic(world.admin));
      expect(listAfter.body.meta.total).toBe(listBefore.body.meta.total);
    },
  );

  test.each(endpointTable)(
    '%s: a member holding only %s is let through',
    async (_name, permission, endpoint) => {
      const member = await createMember(server.stack.services, world.workspaceId, {
        permissions: [permission],
      });
      const target = await createSecret();
      const response = await endpoint.send(basic(member), world.workspaceId, target.id);
      expectStatus(response, endpoint.allowed);
    },
  );

  test.each(endpointTable)('%s: a non-member gets 403', async (_name, _permission, endpoint) => {
    const outsider = await createOutsider(server.stack.services);
    const response = await endpoint.send(basic(outsider), world.workspaceId, fixed.id);
    expectJsonApiError(response, 403);
    await expectFixedUnchanged();
  });

  test.each(endpointTable)(
    '%s: a workspace that does not exist gets the same 403 as a non-member',
    async (_name, _permission, endpoint) => {
      const response = await endpoint.send(basic(world.admin), UNKNOWN_ID, fixed.id);
      expectJsonApiError(response, 403);
    },
  );

  test('the admin of another workspace gets 403 on this one, for every endpoint', async () => {
    const other = await createWorld(server.stack.services);
    for (const endpoint of ENDPOINTS) {
      expectJsonApiError(await endpoint.send(basic(other.admin), world.workspaceId, fixed.id), 403);
    }
    await expectFixedUnchanged();
  });
});

describe('roles', () => {
  test('viewer: list and get only', async () => {
    const viewer = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
    const auth = basic(viewer);
    const list = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth);
    expectStatus(list, 200);
    expect((list.body.data as Json[]).map((resource) => resource.id)).toContain(fixed.id);
    const one = await api.get(secretPath(world.workspaceId, fixed.id), auth);
    expectStatus(one, 200);
    expect(one.body.data).toEqual(fixed);
    for (const endpoint of ENDPOINTS.filter(
      (candidate) => candidate.permission !== 'workspaces.auth_secret.get',
    )) {
      expectJsonApiError(await endpoint.send(auth, world.workspaceId, fixed.id), 403);
    }
    await expectFixedUnchanged();
  });

  test('editor: everything but delete', async () => {
    const editor = await createMember(server.stack.services, world.workspaceId, { role: 'editor' });
    const target = await createSecret();
    for (const endpoint of ENDPOINTS.filter((candidate) => candidate.name !== 'DELETE')) {
      expectStatus(await endpoint.send(basic(editor), world.workspaceId, target.id), endpoint.allowed);
    }
    expectJsonApiError(await api.delete(secretPath(world.workspaceId, target.id), basic(editor)), 403);
    expectStatus(await api.get(secretPath(world.workspaceId, target.id), basic(editor)), 200);
  });
});

describe("another workspace's secret", () => {
  interface Elsewhere {
    readonly workspaceId: string;
    readonly auth: HeaderMap;
    readonly authClientId: string;
  }
  const cases: Array<[string, () => Promise<Elsewhere>]> = [
    [
      'in another tenant',
      async () => {
        const other = await createWorld(server.stack.services);
        return {
          workspaceId: other.workspaceId,
          auth: basic(other.admin),
          authClientId: other.otherClientId,
        };
      },
    ],
    [
      'in the same tenant',
      async () => {
        const { id } = await createWorkspace(server.stack.services, world.tenantId, 'sibling workspace');
        const admin = await createMember(server.stack.services, id, { role: 'admin' });
        return { workspaceId: id, auth: basic(admin), authClientId: world.otherClientId };
      },
    ],
    [
      'in a workspace where the caller is an admin too',
      async () => {
        const { id } = await createWorkspace(server.stack.services, world.tenantId, 'second workspace');
        await addMember(server.stack.services, id, world.admin.id, { role: 'admin' });
        return { workspaceId: id, auth: basic(world.admin), authClientId: world.otherClientId };
      },
    ],
  ];

  test.each(cases)(
    '%s: 404 for GET, PATCH, refresh and DELETE through this workspace; it is unchanged',
    async (_kind, setup) => {
      const { workspaceId, auth, authClientId } = await setup();
      const created = await api.post(
        secretsPath(workspaceId),
        auth,
        secretDocument(authClientId, { credentials: { k: 'theirs' } }),
      );
      expectStatus(created, 201);
      const secret = created.body.data;
      const admin = basic(world.admin);
      const viaHere = secretPath(world.workspaceId, secret.id);
      for (const response of [
        await api.get(viaHere, admin),
        await api.patch(viaHere, admin, { data: { type: 'auth-secret', attributes: { name: 'hijacked' } } }),
        await api.patch(viaHere, admin, {
          data: { type: 'auth-secret', id: secret.id, attributes: { credentials: { k: 'stolen' } } },
        }),
        await api.request('POST', `${viaHere}/refresh`, { auth: admin }),
        await api.delete(viaHere, admin),
      ]) {
        expectJsonApiError(response, 404);
        expect(response.text).not.toContain('theirs');
      }
      const list = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, admin);
      expect((list.body.data as Json[]).map((resource) => resource.id)).not.toContain(secret.id);
      const stillThere = await api.get(secretPath(workspaceId, secret.id), auth);
      expectStatus(stillThere, 200);
      expect(stillThere.body.data).toEqual(secret);
      await expectFixedUnchanged();
    },
  );
});

describe('authentication failures answer 401 with WWW-Authenticate', () => {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  const wrongSecret = () => {
    // Same user and key id, different 43-character secret: well-formed, but not the key.
    const parts = world.admin.apiKey.split('.');
    const secret = parts[3] ?? '';
    parts[3] = `${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    return parts.join('.');
  };
  const failures: Array<[string, () => HeaderMap]> = [
    ['no credentials', () => ({})],
    [
      'Basic with a wrong key',
      () => ({ Authorization: `Basic ${b64(`${world.admin.email}:${wrongSecret()}`)}` }),
    ],
    [
      'Basic with a malformed key',
      () => ({ Authorization: `Basic ${b64(`${world.admin.email}:not-a-key`)}` }),
    ],
    ['Basic with an empty key', () => ({ Authorization: `Basic ${b64(`${world.admin.email}:`)}` })],
    [
      'Basic with the wrong e-mail',
      () => ({ Authorization: `Basic ${b64(`someone-else@example.com:${world.admin.apiKey}`)}` }),
    ],
    ['Basic without a colon', () => ({ Authorization: `Basic ${b64(world.admin.apiKey)}` })],
    ['Basic that is not base64', () => ({ Authorization: 'Basic !!!not base64!!!' })],
    ['a Bearer token', () => ({ Authorization: `Bearer ${world.admin.apiKey}` })],
    ['X-Auth-Token with a wrong key', () => ({ 'X-Auth-Token': wrongSecret() })],
    // Both headers must name the same key: a request is never answered as one of two identities.
    ['X-Auth-Token with Basic of another user', () => ({ ...token(world.admin), ...basic(viewer) })],
    [
      'X-Auth-Token with Basic carrying a wrong key',
      () => ({
        ...token(world.admin),
        Authorization: `Basic ${b64(`${world.admin.email}:${wrongSecret()}`)}`,
      }),
    ],
    [
      'X-Auth-Token with Basic naming another e-mail',
      () => ({
        ...token(world.admin),
        Authorization: `Basic ${b64(`someone-else@example.com:${world.admin.apiKey}`)}`,
      }),
    ],
    ['X-Auth-Token with a Bearer token', () => ({ ...token(world.admin), Authorization: 'Bearer x' })],
    ['X-Auth-Token malformed', () => ({ 'X-Auth-Token': 'garbage' })],
    [
      'X-Auth-Token of a user that does not exist',
      () => ({ 'X-Auth-Token': `asec.${UNKNOWN_ID}.0123456789abcdef.${'a'.repeat(43)}` }),
    ],
  ];

  test.each(failures)('%s', async (_kind, headers) => {
    for (const endpoint of ENDPOINTS) {
      const response = await endpoint.send(headers(), world.workspaceId, fixed.id);
      expectJsonApiError(response, 401);
      expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/i);
      expect(response.text).not.toContain(world.admin.apiKey);
    }
    for (const path of [
      `/v2/workspaces/${world.workspaceId}`,
      `/v2/users/${world.admin.id}`,
      `/v2/tenants/${world.tenantId}/auth-clients/${world.oauth2ClientId}`,
    ]) {
      const response = await api.get(path, headers());
      expectJsonApiError(response, 401);
      expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Basic\b/i);
    }
    await expectFixedUnchanged();
  });
});

describe('a credential header sent more than once', () => {
  /**
   * A GET whose headers may repeat (an array sends one header line per value), over node:http:
   * fetch joins repeated headers itself before sending, and a test must send them as clients can.
   */
  const getWithHeaders = (path: string, headers: Record<string, string | string[]>) =>
    new Promise<number>((resolveStatus, reject) => {
      const request = http.get(new URL(path, server.baseUrl), { headers }, (response) => {
        response.resume();
        resolveStatus(response.statusCode ?? 0);
      });
      request.on('error', reject);
    });
  const paths = () => [secretsPath(world.workspaceId), '/v1/secrets'];
  const basicOf = (user: TestUser) => basic(user).Authorization ?? '';

  test('naming two identities answers 401, as API Gateway joins the copies into one value', async () => {
    // Prepare: the admin's key last, so that keeping only the last copy would answer 200.
    const cases: Array<Record<string, string | string[]>> = [
      { 'X-Auth-Token': [viewer.apiKey, world.admin.apiKey] },
      { Authorization: [basicOf(viewer), basicOf(world.admin)] },
      { 'X-Auth-Token': [viewer.apiKey, world.admin.apiKey], Authorization: basicOf(world.admin) },
    ];

    // Act
    const statuses = [];
    for (const headers of cases) {
      for (const path of paths()) {
        statuses.push(await getWithHeaders(path, { ...headers, 'X-Project-Id': world.workspaceId }));
      }
    }

    // Assess: the same requests with one copy (the control) are answered.
    expect(statuses).toEqual(Array.from({ length: cases.length * 2 }, () => 401));
    for (const path of paths()) {
      const once = { 'X-Auth-Token': world.admin.apiKey, 'X-Project-Id': world.workspaceId };
      expect(await getWithHeaders(path, once)).toBe(200);
    }
  });
});

describe('linked resources', () => {
  let outsider: TestUser;
  let colleague: TestUser;

  beforeAll(async () => {
    outsider = await createOutsider(server.stack.services);
    colleague = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
  });

  test('users: yourself and those who share a workspace with you; 404 for anyone else', async () => {
    const self = await api.get(`/v2/users/${colleague.id}`, basic(colleague));
    expectStatus(self, 200);
    expect(self.body.data).toEqual(
      expect.objectContaining({ id: colleague.id, type: 'user', attributes: expect.any(Object) }),
    );
    expectStatus(await api.get(`/v2/users/${world.admin.id}`, basic(colleague)), 200);
    expectStatus(await api.get(`/v2/users/${colleague.id}`, basic(world.admin)), 200);
    const hidden = await api.get(`/v2/users/${world.admin.id}`, basic(outsider));
    expectJsonApiError(hidden, 404);
    const unknown = await api.get(`/v2/users/${UNKNOWN_ID}`, basic(outsider));
    expectJsonApiError(unknown, 404);
    expect(hidden.body).toEqual(unknown.body);
    expectJsonApiError(await api.get(`/v2/users/${outsider.id}`, basic(world.admin)), 404);
    const otherWorld = await createWorld(server.stack.services);
    expectJsonApiError(await api.get(`/v2/users/${otherWorld.admin.id}`, basic(world.admin)), 404);
  });

  test("workspaces: members only; the user link of a secret's creator resolves for members", async () => {
    expectStatus(await api.get(`/v2/workspaces/${world.workspaceId}`, basic(colleague)), 200);
    expectJsonApiError(await api.get(`/v2/workspaces/${world.workspaceId}`, basic(outsider)), [403, 404]);
    expectStatus(await api.get(fixed.relationships.user.links.self, basic(colleague)), 200);
    expectStatus(await api.get(fixed.relationships.workspace.links.self, basic(colleague)), 200);
  });

  test('auth-clients: members of a workspace of the tenant, never the client secret; 404 for others', async () => {
    const link = fixed.relationships['auth-client'].links.self;
    const seen = await api.get(link, basic(colleague));
    expectStatus(seen, 200);
    expect(seen.body.data).toEqual(
      expect.objectContaining({ id: world.oauth2ClientId, type: 'auth-client' }),
    );
    expect(seen.text).not.toContain('client-secret');
    expect(Object.keys(seen.body.data.attributes)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(client_secret|sealed)/i)]),
    );
    expectJsonApiError(await api.get(link, basic(outsider)), 404);
    const otherWorld = await createWorld(server.stack.services);
    expectJsonApiError(await api.get(link, basic(otherWorld.admin)), 404);
    expectJsonApiError(
      await api.get(
        `/v2/tenants/${otherWorld.tenantId}/auth-clients/${world.oauth2ClientId}`,
        basic(otherWorld.admin),
      ),
      404,
    );
  });
});

describe('CORS, off unless CORS_ALLOWED_ORIGINS is set', () => {
  const origin = { Origin: 'http://evil.example' };
  const corsHeadersOf = (response: ApiResponse) =>
    [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

  test('a page on any origin may not read an answer, even with cached credentials', async () => {
    const answers = [
      await api.get(secretsPath(world.workspaceId), basic(world.admin), origin),
      await api.get(secretsPath(world.workspaceId), {}, origin),
      await api.get('/v2/no-such-route', basic(world.admin), origin),
    ];

    expect(answers.map((answer) => answer.status)).toEqual([200, 401, 404]);
    expect(answers.map(corsHeadersOf)).toEqual([[], [], []]);
  });

  test('a preflight is a JSON:API 404 (no OPTIONS route), and allows nothing', async () => {
    const response = await api.request('OPTIONS', secretsPath(world.workspaceId), {
      headers: {
        ...origin,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });

    expectJsonApiError(response, 404);
    expect(corsHeadersOf(response)).toEqual([]);
  });
});
