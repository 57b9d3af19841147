/**
 * GET /v1/secrets over HTTP: paging as Barbican pages (barbican/model/repositories.py
 * clean_paging_values, barbican/common/hrefs.py add_nav_hrefs), its filters and sort, and the
 * absolute URLs it hands out.
 */
import { request as httpRequest } from 'node:http';
import { startLocalServer, type LocalServer } from '../support/server';
import { createV1World, expectBarbicanError, expectStatus, V1Api, warmUp, type Json } from './v1Api';

let server: LocalServer;
let api: V1Api;
let token: string;
let project: string;
const TOTAL = 25;
/** The secrets of the workspace in creation order: `s00` … `s24`. */
const names = Array.from({ length: TOTAL }, (_, index) => `s${String(index).padStart(2, '0')}`);

beforeAll(async () => {
  server = await startLocalServer();
  api = new V1Api(server.baseUrl);
  const world = await createV1World(server.stack.services);
  token = world.admin.apiKey;
  project = world.workspaceId;
  await warmUp(api, token, project);
  for (const [index, name] of names.entries()) {
    const response = await api.request('POST', '/v1/secrets', {
      token,
      project,
      json: {
        name,
        algorithm: index % 2 === 0 ? 'aes' : 'rsa',
        mode: index % 3 === 0 ? 'cbc' : 'gcm',
        bit_length: index < 5 ? 128 : 256,
        secret_type: index % 5 === 0 ? 'symmetric' : 'opaque',
      },
    });
    expectStatus(response, 201);
  }
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

const list = (query: string, headers?: Record<string, string>) =>
  api.request('GET', `/v1/secrets${query}`, { token, project, ...(headers ? { headers } : {}) });
const namesOf = (body: Json): string[] => body.secrets.map((secret: Json) => secret.name);
const href = (query: string) => `${server.baseUrl}/v1/secrets?${query}`;

describe('paging', () => {
  test('by default: the first 10 in creation order, the total, and only a next link', async () => {
    // Act
    const response = await list('');

    // Assess
    expectStatus(response, 200);
    expect(Object.keys(response.body).sort()).toEqual(['next', 'secrets', 'total']);
    expect(namesOf(response.body)).toEqual(names.slice(0, 10));
    expect(response.body.total).toBe(TOTAL);
    expect(response.body.next).toBe(href('limit=10&offset=10'));
  });

  test.each([
    ['?limit=2&offset=0', names.slice(0, 2), undefined, 'limit=2&offset=2'],
    ['?limit=2&offset=2', names.slice(2, 4), 'limit=2&offset=0', 'limit=2&offset=4'],
    ['?limit=2&offset=1', names.slice(1, 3), 'limit=2&offset=0', 'limit=2&offset=3'],
    ['?limit=10&offset=20', names.slice(20), 'limit=10&offset=10', undefined],
    ['?limit=5&offset=20', names.slice(20), 'limit=5&offset=15', undefined],
    ['?limit=25', names, undefined, undefined],
  ])(
    '%s: previous only after the start, next only when more follow',
    async (query, expected, previous, next) => {
      // Act
      const response = await list(query);

      // Assess
      expect(namesOf(response.body)).toEqual(expected);
      expect(response.body.total).toBe(TOTAL);
      expect(response.body.previous).toBe(previous === undefined ? undefined : href(previous));
      expect(response.body.next).toBe(next === undefined ? undefined : href(next));
    },
  );

  test('a page past the end is empty, with the total and no links at all', async () => {
    // Act
    const response = await list('?limit=10&offset=30');

    // Assess
    expect(response.body).toEqual({ secrets: [], total: TOTAL });
  });

  test.each([
    ['?limit=0', 0, 1],
    ['?limit=-5', 0, 1],
    ['?limit=1000', 0, 25],
    ['?limit=101&offset=3', 3, 22],
    ['?limit=abc', 0, 10],
    ['?limit=', 0, 10],
    ['?limit=2.5', 0, 10],
    ['?limit=%202%20', 0, 2],
    ['?offset=-3&limit=3', 0, 3],
    ['?offset=abc&limit=3', 0, 3],
    ['?offset=1.5&limit=3', 0, 3],
    ['?offset=99999999999999999999&limit=3', 0, 3],
    ['?offset=1_0&limit=3', 10, 3],
    ['?&limit=3', 0, 3],
    ['?&&offset=4&&limit=3&', 4, 3],
    ['?limit=7&limit=3', 0, 3],
  ])('%s falls back instead of failing: offset %d, %d secrets', async (query, offset, count) => {
    // Act
    const response = await list(query);

    // Assess
    expectStatus(response, 200);
    expect(namesOf(response.body)).toEqual(names.slice(offset, offset + count));
  });

  test('the links carry the cleaned values, and following them walks the whole list once, in order', async () => {
    // Act
    const walked: string[] = [];
    let next: string | undefined = href('limit=7&offset=0');
    let pages = 0;
    while (next && pages < 10) {
      const response = await api.request('GET', next, { token, project });
      walked.push(...namesOf(response.body));
      next = response.body.next;
      pages += 1;
    }
    const cleaned = await list('?limit=500&offset=-1');

    // Assess
    expect(walked).toEqual(names);
    expect(pages).toBe(4);
    expect(cleaned.body.next).toBeUndefined();
    expect(namesOf(cleaned.body)).toEqual(names);
  });

  test('the order is the same on every call', async () => {
    // Act
    const first = await list('?limit=25');
    const second = await list('?limit=25');

    // Assess
    expect(namesOf(first.body)).toEqual(namesOf(second.body));
  });
});

describe('absolute URLs', () => {
  function getWithHost(path: string, headers: Record<string, string>): Promise<Json> {
    const url = new URL(path, server.baseUrl);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: `${url.pathname}${url.search}`,
          headers: { 'X-Auth-Token': token, 'X-Project-Id': project, ...headers },
        },
        (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve(JSON.parse(body)));
        },
      );
      request.on('error', reject);
      request.end();
    });
  }

  test('are built from the Host header and X-Forwarded-Proto, as behind a proxy', async () => {
    // Act
    const body = await getWithHost('/v1/secrets?limit=2&offset=2', {
      Host: 'keys.example.com',
      'X-Forwarded-Proto': 'https',
    });

    // Assess
    expect(body.next).toBe('https://keys.example.com/v1/secrets?limit=2&offset=4');
    expect(body.previous).toBe('https://keys.example.com/v1/secrets?limit=2&offset=0');
    expect(body.secrets[0].secret_ref).toMatch(/^https:\/\/keys\.example\.com\/v1\/secrets\/[0-9a-f-]{36}$/);
  });

  test('a Host header that is not a host does not make its way into a URL', async () => {
    // Act
    const body = await getWithHost('/v1/secrets?limit=1', { Host: 'evil.example/path?x=' });

    // Assess
    expect(body.next).toMatch(/^http:\/\/[^/]+\/v1\/secrets\?limit=\d+&offset=\d+$/);
    expect(JSON.stringify(body)).not.toContain('evil');
  });
});

describe('filters and sort', () => {
  test.each([
    ['?name=s07', ['s07']],
    ['?name=S07', ['s07']],
    ['?name=s0%25&limit=100', names.slice(0, 10)],
    ['?name=nothing', []],
    ['?alg=rsa&limit=3', ['s01', 's03', 's05']],
    ['?mode=cbc&alg=aes', ['s00', 's06', 's12', 's18', 's24']],
    ['?bits=128', names.slice(0, 5)],
    ['?bits=128.0&limit=3', names.slice(0, 3)],
    ['?secret_type=symmetric', ['s00', 's05', 's10', 's15', 's20']],
    ['?sort=name:desc&limit=3', ['s24', 's23', 's22']],
    ['?sort=bit_length:asc,name:desc&limit=3', ['s04', 's03', 's02']],
    ['?sort=created:desc&limit=2', ['s24', 's23']],
  ])('%s lists %j', async (query, expected) => {
    // Act
    const response = await list(query);

    // Assess
    expectStatus(response, 200);
    expect(namesOf(response.body)).toEqual(expected);
  });

  test('the total counts what the filter matches, and the links keep the filter', async () => {
    // Act
    const response = await list('?alg=aes&limit=5&offset=5');
    const next = await api.request('GET', response.body.next, { token, project });

    // Assess
    expect(response.body.total).toBe(13);
    expect(response.body.previous).toBe(href('limit=5&offset=0&alg=aes'));
    expect(response.body.next).toBe(href('limit=5&offset=10&alg=aes'));
    expect(namesOf(next.body)).toEqual(['s20', 's22', 's24']);
  });

  test.each([
    '?sort=color',
    '?sort=name:sideways',
    '?sort=name,name',
    '?created=yesterday',
    '?updated=gt:2026,gte:2026',
  ])('%s is a 400 in Barbican words', async (query) => {
    // Act
    const response = await list(query);

    // Assess
    expectBarbicanError(response, 400, 'URI provided invalid query string parameters.');
  });

  test('date filters compare with what the secret shows', async () => {
    // Prepare
    const all = await list('?limit=25');
    const created = all.body.secrets[12].created as string;

    // Act
    const exact = await list(`?created=${encodeURIComponent(created)}`);
    const after = await list(`?created=gt:${encodeURIComponent(created)}&limit=100`);

    // Assess
    expect(namesOf(exact.body)).toContain('s12');
    expect(namesOf(after.body)).not.toContain('s12');
    expect(namesOf(after.body)).toContain('s24');
  });
});
