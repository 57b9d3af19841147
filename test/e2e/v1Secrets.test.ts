/**
 * The v1 (Barbican-compatible) secrets API over HTTP against the real local server: create with
 * and without a payload, read the metadata and the payload, give a payload once, delete, user
 * metadata, expiry, the project a request is about, and what is at rest.
 */
import { addMember, createWorkspace } from '../../lib/directory/admin';
import { keys } from '../../lib/store/keys';
import { v1SecretBinding } from '../../lib/barbican/useCases';
import { createMember } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import {
  ALL_V1,
  createV1World,
  expectBarbicanError,
  expectStatus,
  idOf,
  inSequence,
  UNKNOWN_ID,
  UUID,
  V1Api,
  warmUp,
  type Json,
} from './v1Api';

let server: LocalServer;
let api: V1Api;
let world: Awaited<ReturnType<typeof createV1World>>;
let token: string;
let project: string;

beforeAll(async () => {
  server = await startLocalServer();
  api = new V1Api(server.baseUrl);
  world = await createV1World(server.stack.services);
  token = world.admin.apiKey;
  project = world.workspaceId;
  await warmUp(api, token, project);
}, 240_000);

afterAll(async () => {
  await server?.stop();
});

const AES_PAYLOAD = 'AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcIAQIDBAUGBwg=';

async function create(document: Record<string, unknown>, path = '/v1/secrets'): Promise<string> {
  const response = await api.request('POST', path, { token, project, json: document });
  expectStatus(response, 201);
  return response.body.secret_ref;
}

describe('POST /v1/secrets', () => {
  test('answers 201 with Location and a secret_ref whose last segment is a UUID, with or without a trailing slash', async () => {
    // Act
    const plain = await api.request('POST', '/v1/secrets', { token, project, json: { name: 'no slash' } });
    const slashed = await api.request('POST', '/v1/secrets/', { token, project, json: { name: 'slash' } });

    // Assess
    for (const response of [plain, slashed]) {
      expectStatus(response, 201);
      expect(Object.keys(response.body)).toEqual(['secret_ref']);
      expect(response.body.secret_ref).toMatch(new RegExp(`^${server.baseUrl}/v1/secrets/[0-9a-f-]{36}$`));
      expect(idOf(response.body.secret_ref)).toMatch(UUID);
      expect(response.headers.get('location')).toBe(response.body.secret_ref);
    }
  });

  test("Barbican's example secret reads back with every field, and its payload as bytes", async () => {
    // Prepare
    const secretRef = await create({
      name: 'AES key',
      expiration: '2030-02-28T19:14:44.180394',
      algorithm: 'aes',
      bit_length: 256,
      mode: 'cbc',
      payload: AES_PAYLOAD,
      payload_content_type: 'application/octet-stream',
      payload_content_encoding: 'base64',
    });

    // Act
    const metadata = await api.request('GET', secretRef, { token, project });
    const payload = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'application/octet-stream' },
    });

    // Assess
    expectStatus(metadata, 200);
    expect(metadata.body).toEqual({
      status: 'ACTIVE',
      secret_ref: secretRef,
      name: 'AES key',
      algorithm: 'aes',
      bit_length: 256,
      mode: 'cbc',
      secret_type: 'opaque',
      content_types: { default: 'application/octet-stream' },
      expiration: '2030-02-28T19:14:44.180394',
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/),
      updated: metadata.body.created,
      creator_id: world.admin.id,
    });
    expectStatus(payload, 200);
    expect(payload.headers.get('content-type')).toMatch(/^application\/octet-stream/);
    expect(payload.bytes).toEqual(Buffer.from(AES_PAYLOAD, 'base64'));
  });

  test('a text payload comes back as text, and as bytes when asked for octet-stream', async () => {
    // Prepare
    const secretRef = await create({
      name: 'passphrase',
      secret_type: 'passphrase',
      payload: 'correct horse battery staple ✓',
      payload_content_type: 'text/plain',
    });

    // Act
    const asText = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });
    const asBytes = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'application/octet-stream' },
    });
    const asStored = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: '*/*' },
    });
    const metadata = await api.request('GET', secretRef, { token, project });

    // Assess
    expect([asText.status, asText.text]).toEqual([200, 'correct horse battery staple ✓']);
    expect(asText.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(asBytes.bytes).toEqual(Buffer.from('correct horse battery staple ✓'));
    expect(asStored.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metadata.body).toMatchObject({
      secret_type: 'passphrase',
      content_types: { default: 'text/plain' },
    });
  });

  test('a binary payload (not UTF-8) round-trips, and cannot be given as text (406)', async () => {
    // Prepare
    const bytes = Buffer.from([0x00, 0xff, 0xb0, 0x80, 0x7f]);
    const secretRef = await create({
      name: 'binary',
      payload: bytes.toString('base64'),
      payload_content_type: 'application/octet-stream',
      payload_content_encoding: 'base64',
    });

    // Act
    const noAccept = await api.request('GET', `${secretRef}/payload`, { token, project });
    const asText = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });
    const unknownType = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'i/m' },
    });
    const json = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'application/json' },
    });

    // Assess
    expectStatus(noAccept, 200);
    expect(noAccept.bytes).toEqual(bytes);
    expectBarbicanError(asText, 406);
    expectBarbicanError(unknownType, 406, "Secret Accept of 'i/m' not supported");
    expectBarbicanError(json, 406);
  });

  test("GET /v1/secrets/{id} with a payload type in Accept answers with the payload (Barbican's older clients)", async () => {
    // Prepare
    const secretRef = await create({ payload: 'legacy', payload_content_type: 'text/plain' });

    // Act
    const response = await api.request('GET', secretRef, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });

    // Assess
    expect([response.status, response.text]).toEqual([200, 'legacy']);
  });
});

describe('a secret created without a payload', () => {
  test('has no content_types and no payload (404), is given one once with PUT, and refuses a second (409)', async () => {
    // Prepare
    const secretRef = await create({ name: 'two step', algorithm: 'aes', bit_length: 256, mode: 'cbc' });

    // Act
    const before = await api.request('GET', secretRef, { token, project });
    const noPayload = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });
    const put = await api.request('PUT', secretRef, {
      token,
      project,
      body: 'given later',
      headers: { 'Content-Type': 'text/plain' },
    });
    const again = await api.request('PUT', secretRef, {
      token,
      project,
      body: 'twice',
      headers: { 'Content-Type': 'text/plain' },
    });
    const after = await api.request('GET', secretRef, { token, project });
    const payload = await api.request('GET', `${secretRef}/payload`, {
      token,
      project,
      headers: { Accept: 'text/plain' },
    });

    // Assess
    expectStatus(before, 200);
    expect(before.body.content_types).toBeUndefined();
    expectBarbicanError(noPayload, 404, 'Not Found. Sorry but your secret has no payload.');
    expect([put.status, put.text]).toEqual([204, '']);
    expectBarbicanError(again, 409, 'Secret already has data, cannot modify it.');
    expect(after.body.content_types).toEqual({ default: 'text/plain' });
    expect(payload.text).toBe('given later');
  });

  test.each([
    ['raw bytes', Buffer.from([0, 1, 2, 250, 251, 252]), {}, Buffer.from([0, 1, 2, 250, 251, 252])],
    [
      'base64 with Content-Encoding',
      Buffer.from('AAEC+vv8'),
      { 'Content-Encoding': 'base64' },
      Buffer.from([0, 1, 2, 250, 251, 252]),
    ],
  ])('takes an application/octet-stream payload as %s', async (_name, body, headers, expected) => {
    // Prepare
    const secretRef = await create({ name: 'octets' });

    // Act
    const put = await api.request('PUT', secretRef, {
      token,
      project,
      body,
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
    });
    const payload = await api.request('GET', `${secretRef}/payload`, { token, project });

    // Assess
    expectStatus(put, 204);
    expect(payload.bytes).toEqual(expected);
  });

  test('refuses a PUT of JSON (415), of nothing (400) and of too much (413), and stays without a payload', async () => {
    // Prepare
    const secretRef = await create({ name: 'refusing' });

    // Act
    const json = await api.request('PUT', secretRef, { token, project, json: { payload: 'x' } });
    const empty = await api.request('PUT', secretRef, {
      token,
      project,
      body: '',
      headers: { 'Content-Type': 'text/plain' },
    });
    const large = await api.request('PUT', secretRef, {
      token,
      project,
      body: Buffer.alloc(20_001, 0x61),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    const after = await api.request('GET', secretRef, { token, project });

    // Assess
    expectBarbicanError(
      json,
      415,
      "Unexpected content type. Expected content types are: ['application/octet-stream', 'text/plain']",
    );
    expectBarbicanError(empty, 400);
    expectBarbicanError(large, 413);
    expect(after.body.content_types).toBeUndefined();
  });
});

describe('DELETE /v1/secrets/{id}', () => {
  test('answers 204, and afterwards the secret, its payload and its metadata are 404', async () => {
    // Prepare
    const secretRef = await create({ payload: 'short-lived', payload_content_type: 'text/plain' });

    // Act
    const deleted = await api.request('DELETE', secretRef, { token, project });
    const reads = await inSequence([
      () => api.request('GET', secretRef, { token, project }),
      () => api.request('GET', `${secretRef}/payload`, { token, project }),
      () => api.request('GET', `${secretRef}/metadata`, { token, project }),
      () => api.request('DELETE', secretRef, { token, project }),
    ]);
    const list = await api.request('GET', '/v1/secrets?limit=100', { token, project });

    // Assess
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    for (const read of reads) {
      expectBarbicanError(read, 404, 'Not Found. Sorry but your secret is in another castle.');
    }
    expect(list.body.secrets.map((secret: Json) => secret.secret_ref)).not.toContain(secretRef);
  });

  test('a malformed id is "invalid", a well-formed unknown one "in another castle"', async () => {
    // Act
    const malformed = await api.request('GET', '/v1/secrets/not_a_uuid', { token, project });
    const unknown = await api.request('DELETE', `/v1/secrets/${UNKNOWN_ID}`, { token, project });

    // Assess
    expectBarbicanError(malformed, 404, 'Not Found. Provided secret id is invalid.');
    expectBarbicanError(unknown, 404, 'Not Found. Sorry but your secret is in another castle.');
  });
});

describe('user metadata', () => {
  test('PUT replaces it all (keys lower-cased, values stripped), POST adds a key, the key resource reads, changes and deletes it', async () => {
    // Prepare
    const secretRef = await create({ name: 'with metadata' });
    const metadataUrl = `${secretRef}/metadata`;

    // Act
    const empty = await api.request('GET', metadataUrl, { token, project });
    const put = await api.request('PUT', metadataUrl, {
      token,
      project,
      json: { metadata: { Geolocation: ' Portland ', Sys_Key: 'x' } },
    });
    const afterPut = await api.request('GET', metadataUrl, { token, project });
    const post = await api.request('POST', metadataUrl, {
      token,
      project,
      json: { key: 'Owner', value: 'ada' },
    });
    const duplicate = await api.request('POST', metadataUrl, {
      token,
      project,
      json: { key: 'owner', value: 'bob' },
    });
    const one = await api.request('GET', `${metadataUrl}/owner`, { token, project });
    const wrongCase = await api.request('GET', `${metadataUrl}/Owner`, { token, project });
    const changed = await api.request('PUT', `${metadataUrl}/owner`, {
      token,
      project,
      json: { key: 'owner', value: 'bob' },
    });
    const mismatch = await api.request('PUT', `${metadataUrl}/owner`, {
      token,
      project,
      json: { key: 'other', value: 'bob' },
    });
    const absent = await api.request('PUT', `${metadataUrl}/nothing`, {
      token,
      project,
      json: { key: 'nothing', value: 'v' },
    });
    const removed = await api.request('DELETE', `${metadataUrl}/owner`, { token, project });
    const removedAgain = await api.request('DELETE', `${metadataUrl}/owner`, { token, project });
    const gone = await api.request('GET', `${metadataUrl}/owner`, { token, project });
    const final = await api.request('GET', metadataUrl, { token, project });
    const secret = await api.request('GET', secretRef, { token, project });

    // Assess
    expect([empty.status, empty.body]).toEqual([200, { metadata: {} }]);
    expect([put.status, put.body]).toEqual([201, { metadata_ref: metadataUrl }]);
    expect(afterPut.body).toEqual({ metadata: { geolocation: 'Portland', sys_key: 'x' } });
    expect([post.status, post.body]).toEqual([201, { key: 'owner', value: 'ada' }]);
    expect(post.headers.get('location')).toBe(`${metadataUrl}/owner`);
    expectBarbicanError(duplicate, 409, 'Conflict. Key in request is already in the secret metadata');
    expect([one.status, one.body]).toEqual([200, { key: 'owner', value: 'ada' }]);
    expectBarbicanError(wrongCase, 404, 'Not Found. Sorry but your secret metadata is in another castle.');
    expect([changed.status, changed.body]).toEqual([200, { key: 'owner', value: 'bob' }]);
    expectBarbicanError(mismatch, 409, 'Key in request data does not match key in the request url.');
    expectBarbicanError(absent, 404, 'Not Found. Sorry but your secret metadata is in another castle.');
    expect([removed.status, removedAgain.status]).toEqual([204, 204]);
    expectBarbicanError(gone, 404);
    expect(final.body).toEqual({ metadata: { geolocation: 'Portland', sys_key: 'x' } });
    expect(Object.keys(secret.body)).not.toContain('metadata');
  });

  test('a key named __proto__ is kept and shown as any other key', async () => {
    // Prepare: sent as JSON text, since an object literal's "__proto__" sets its prototype instead.
    const secretRef = await create({ name: 'proto metadata' });
    const metadataUrl = `${secretRef}/metadata`;
    const send = (method: string, url: string, text: string) =>
      api.request(method, url, {
        token,
        project,
        body: text,
        headers: { 'Content-Type': 'application/json' },
      });

    // Act
    const put = await send('PUT', metadataUrl, '{"metadata":{"__proto__":"v","a":"b"}}');
    const afterPut = await api.request('GET', metadataUrl, { token, project });
    const removed = await api.request('DELETE', `${metadataUrl}/__proto__`, { token, project });
    const post = await send('POST', metadataUrl, '{"key":"__proto__","value":"w"}');
    const one = await api.request('GET', `${metadataUrl}/__proto__`, { token, project });

    // Assess
    expectStatus(put, 201);
    expect(afterPut.text).toBe('{"metadata":{"__proto__":"v","a":"b"}}');
    expectStatus(removed, 204);
    expectStatus(post, 201);
    expect(one.text).toBe('{"key":"__proto__","value":"w"}');
  });

  test('refuses unsafe keys, non-string values and a body that is not JSON, and keeps what it had', async () => {
    // Prepare
    const secretRef = await create({ name: 'guarded metadata' });
    const metadataUrl = `${secretRef}/metadata`;
    await api.request('PUT', metadataUrl, { token, project, json: { metadata: { kept: 'yes' } } });

    // Act
    const unsafe = await api.request('PUT', metadataUrl, {
      token,
      project,
      json: { metadata: { 'a/b': 'x' } },
    });
    const number = await api.request('PUT', metadataUrl, { token, project, json: { metadata: { a: 1 } } });
    const notJson = await api.request('PUT', metadataUrl, {
      token,
      project,
      body: '{"metadata":',
      headers: { 'Content-Type': 'application/json' },
    });
    const text = await api.request('POST', metadataUrl, {
      token,
      project,
      body: 'key=value',
      headers: { 'Content-Type': 'text/plain' },
    });
    const tooMany = await api.request('PUT', metadataUrl, {
      token,
      project,
      json: { metadata: Object.fromEntries(Array.from({ length: 101 }, (_, index) => [`k${index}`, 'v'])) },
    });
    const after = await api.request('GET', metadataUrl, { token, project });

    // Assess
    expectBarbicanError(unsafe, 400, 'Invalid Key. Key must be URL safe.');
    expectBarbicanError(number, 400, 'Invalid Metadata. Keys and Values must be Strings.');
    expectBarbicanError(notJson, 400, 'Malformed JSON');
    expectBarbicanError(text, 415);
    expectBarbicanError(tooMany, 413);
    expect(after.body).toEqual({ metadata: { kept: 'yes' } });
  });
});

describe('expiry', () => {
  test('a secret that expires is listed and read until then, and afterwards neither listed nor found', async () => {
    // Prepare
    const expiresAt = new Date(Date.now() + 3000).toISOString();
    const secretRef = await create({
      name: 'expiring',
      expiration: expiresAt,
      payload: 'x',
      payload_content_type: 'text/plain',
    });
    const listed = async () =>
      (await api.request('GET', '/v1/secrets?limit=100&name=expiring', { token, project })).body.secrets
        .length;

    // Act
    const before = [await listed(), (await api.request('GET', secretRef, { token, project })).status];
    await new Promise((resolve) => setTimeout(resolve, 3500));
    const list = await api.request('GET', '/v1/secrets?limit=100&name=expiring', { token, project });
    const read = await api.request('GET', secretRef, { token, project });
    const deleted = await api.request('DELETE', secretRef, { token, project });

    // Assess
    expect(before).toEqual([1, 200]);
    expect(list.body).toEqual({ secrets: [], total: 0 });
    expectBarbicanError(read, 404);
    expectBarbicanError(deleted, 404);
  });

  test('an expiration in the past, or that is not a date, is refused', async () => {
    // Act
    const past = await api.request('POST', '/v1/secrets', {
      token,
      project,
      json: { expiration: '2000-01-10T14:58:52.546795' },
    });
    const malformed = await api.request('POST', '/v1/secrets', {
      token,
      project,
      json: { expiration: '2030-01-01T00:00:00-5:00' },
    });

    // Assess
    expectBarbicanError(past, 400, /'expiration' is before current time/);
    expectBarbicanError(malformed, 400, /Invalid date for 'expiration'/);
  });
});

describe('the project (workspace) a request is about', () => {
  test("without X-Project-Id the caller's only workspace is used; X-Project-Id selects among several, and is required then", async () => {
    // Prepare
    const services = server.stack.services;
    const single = await createMember(services, world.workspaceId, { permissions: ALL_V1 });
    const { id: second } = await createWorkspace(services, world.tenantId, `second-${Date.now()}`);
    await addMember(services, second, single.id, { permissions: ALL_V1 });
    const loner = await createMember(services, world.otherWorkspaceId, { permissions: ALL_V1 });

    // Act
    const created = await api.request('POST', '/v1/secrets', {
      token: loner.apiKey,
      json: { name: 'implicit project' },
    });
    const readBack = await api.request('GET', created.body.secret_ref, {
      token: loner.apiKey,
      project: world.otherWorkspaceId,
    });
    const ambiguous = await api.request('GET', '/v1/secrets', { token: single.apiKey });
    const chosen = await api.request('GET', '/v1/secrets', { token: single.apiKey, project: second });

    // Assess
    expectStatus(created, 201);
    expect(readBack.body.name).toBe('implicit project');
    expectBarbicanError(ambiguous, 400, /X-Project-Id/);
    expect(chosen.body).toEqual({ secrets: [], total: 0 });
  });

  test("another workspace's secret is 404 there, whoever asks", async () => {
    // Prepare
    const secretRef = await create({ name: 'mine' });

    // Act
    const fromOther = await api.request('GET', secretRef, {
      token: world.other.apiKey,
      project: world.otherWorkspaceId,
    });
    const deleteFromOther = await api.request('DELETE', secretRef, {
      token: world.other.apiKey,
      project: world.otherWorkspaceId,
    });
    const stillThere = await api.request('GET', secretRef, { token, project });

    // Assess
    expectBarbicanError(fromOther, 404);
    expectBarbicanError(deleteFromOther, 404);
    expectStatus(stillThere, 200);
  });
});

describe('at rest', () => {
  test('a raw Scan of the table holds no plaintext payload, and the payload is bound to its own record', async () => {
    // Prepare
    const text = `plaintext-${Date.now()}-marker`;
    const bytes = Buffer.from(`binary-${Date.now()}-marker`);
    const textRef = await create({ payload: text, payload_content_type: 'text/plain' });
    const binaryRef = await create({
      payload: bytes.toString('base64'),
      payload_content_type: 'application/octet-stream',
      payload_content_encoding: 'base64',
    });
    await api.request('PUT', `${textRef}/metadata`, {
      token,
      project,
      json: { metadata: { note: 'visible' } },
    });

    // Act
    const items = await server.stack.scanTable();
    const dump = JSON.stringify(items);
    const item = items.find((candidate) => candidate.sk?.S === keys.v1Secret(project, idOf(textRef)).sk);
    const sealed = item?.sealedPayload?.S ?? '';
    const stack = server.stack.services;
    const record = { tenantId: world.tenantId, workspaceId: project, id: idOf(textRef) };
    const elsewhere = { ...record, id: idOf(binaryRef) };

    // Assess
    for (const secret of [
      text,
      bytes.toString('base64'),
      bytes.toString('utf8'),
      Buffer.from(text).toString('base64'),
    ]) {
      expect(dump).not.toContain(secret);
    }
    expect(sealed).toMatch(/^v1\./);
    expect(item?.metadata?.L?.length).toBe(1);
    expect(await stack.envelope.open(sealed, v1SecretBinding(record))).toBe(
      Buffer.from(text).toString('base64'),
    );
    await expect(stack.envelope.open(sealed, v1SecretBinding(elsewhere))).rejects.toThrow();
    await expect(
      stack.envelope.open(sealed, {
        context: { ...v1SecretBinding(record).context, purpose: 'auth-secret' },
        recordId: `v1-secret/${record.id}`,
      }),
    ).rejects.toThrow();
  });
});

describe('response headers', () => {
  test('every answer, success or error, says no-store and nosniff', async () => {
    // Prepare
    const secretRef = await create({
      name: 'headers',
      payload: 'cached-nowhere',
      payload_content_type: 'text/plain',
    });
    const emptyRef = await create({ name: 'headers, no payload' });

    // Act
    const answers = await inSequence([
      () => api.request('GET', secretRef, { token, project }),
      () => api.request('GET', `${secretRef}/payload`, { token, project, headers: { Accept: 'text/plain' } }),
      () => api.request('GET', secretRef, { token, project, headers: { Accept: 'text/plain' } }),
      () => api.request('GET', '/v1/secrets?limit=1', { token, project }),
      () => api.request('GET', `${secretRef}/metadata`, { token, project }),
      () => api.request('POST', '/v1/secrets', { token, project, json: { name: 'headers, created' } }),
      () =>
        api.request('PUT', emptyRef, {
          token,
          project,
          body: 'later',
          headers: { 'Content-Type': 'text/plain' },
        }),
      () => api.request('GET', '/v1/secrets', { project }),
      () => api.request('GET', `/v1/secrets/${UNKNOWN_ID}`, { token, project }),
      () => api.request('DELETE', secretRef, { token, project }),
    ]);

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([
      200, 200, 200, 200, 200, 201, 204, 401, 404, 204,
    ]);
    for (const answer of answers) {
      expect({
        status: answer.status,
        cacheControl: answer.headers.get('cache-control'),
        nosniff: answer.headers.get('x-content-type-options'),
      }).toEqual({ status: answer.status, cacheControl: 'no-store', nosniff: 'nosniff' });
    }
  });
});
