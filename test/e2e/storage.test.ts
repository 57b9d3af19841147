/**
 * What is at rest: a raw Scan of the table (the test may Scan; the service never does) holds no
 * plaintext credential or client secret; a ciphertext moved onto another record does not open as
 * that record's credentials; and the data (and API keys) survive a restart of the server, and a
 * crash (SIGKILL) of the whole local stack, DynamoDB Local included.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createAuthClient } from '../../lib/directory/admin';
import { createWorld, secretDocument, type World } from '../support/fixtures';
import { startLocalServer, type LocalServer } from '../support/server';
import {
  Api,
  basic,
  expectStatus,
  secretPath,
  secretsPath,
  token,
  type ApiResponse,
  type HeaderMap,
  type Json,
} from './api';

type Item = Record<string, AttributeValue>;

let server: LocalServer;
let api: Api;
let world: World;
let auth: HeaderMap;

beforeAll(async () => {
  // Its own DynamoDB Local on disk, as `npm start` runs it: the restart tests below need data that
  // outlives the engine.
  server = await startLocalServer({ own: true, ownEngine: true });
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  auth = basic(world.admin);
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

const unique = (prefix: string) => `${prefix}-${randomUUID()}`;

function oauth2(prefix: string) {
  return {
    access_token: unique(`${prefix}-access`),
    refresh_token: unique(`${prefix}-refresh`),
    expires_in: 3600,
  };
}

async function createSecret(
  authClientId: string,
  credentials: Record<string, unknown>,
  target: { workspaceId: string; auth: HeaderMap } = { workspaceId: world.workspaceId, auth },
): Promise<Json> {
  const response = await api.post(
    secretsPath(target.workspaceId),
    target.auth,
    secretDocument(authClientId, { credentials }),
  );
  expectStatus(response, 201);
  return response.body.data;
}

const scanAll = (): Promise<Item[]> => server.stack.scanTable();

/** The raw item of a secret, found by its `id` attribute (no assumption about the key shapes). */
async function rawSecretItem(secretId: string): Promise<Item> {
  const items = (await scanAll()).filter(
    (item) => item.id?.S === secretId && item.sealedCredentials?.S !== undefined,
  );
  expect(items).toHaveLength(1);
  return items[0] as Item;
}

async function keyOf(item: Item): Promise<Item> {
  const table = await server.stack.dynamoDb.send(
    new DescribeTableCommand({ TableName: server.stack.tableName }),
  );
  const names = (table.Table?.KeySchema ?? []).map((element) => element.AttributeName ?? '');
  expect(names.length).toBeGreaterThan(0);
  return Object.fromEntries(names.map((name) => [name, item[name] as AttributeValue]));
}

/** Every spelling of a plaintext that would count as storing it: as is, and base64/base64url. */
function spellings(value: string): string[] {
  const bytes = Buffer.from(value);
  return [value, bytes.toString('base64').replace(/=+$/, ''), bytes.toString('base64url')];
}

/** A 5xx JSON:API error whose body says nothing about any of `secrets`. */
function expectOpaqueServerError(response: ApiResponse, secrets: string[]): void {
  if (response.status < 500 || response.status > 599) {
    throw new Error(`expected a 5xx, got ${response.status}: ${response.text.slice(0, 400)}`);
  }
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/(vnd\.api\+)?json/);
  expect(response.body?.errors).toEqual(expect.any(Array));
  expect(response.body.errors[0]).toEqual(
    expect.objectContaining({ status: String(response.status), detail: expect.any(String) }),
  );
  expect(response.body.data).toBeUndefined();
  for (const secret of secrets) expect(response.text).not.toContain(secret);
  expect(response.text).not.toMatch(/Decrypt|cipher|stack|\bat .*\.ts\b/i);
}

describe('at rest', () => {
  test('a raw Scan of the table holds no plaintext credential or client secret', async () => {
    const clientSecret = unique('client-secret');
    const { id: clientId } = await createAuthClient(server.stack.services, {
      tenantId: world.tenantId,
      name: 'scan check',
      type: 'oauth2',
      tokenUrl: 'http://127.0.0.1:9/token',
      clientId: 'scan-client',
      clientSecret,
    });
    const oauth2Values = oauth2('scan');
    const custom = {
      api_key: unique('custom-key'),
      nested: { password: unique('custom-password'), list: [unique('custom-item')] },
    };
    const first = await createSecret(clientId, oauth2Values);
    const second = await createSecret(world.otherClientId, custom);
    // A PATCH writes new credentials: neither the old nor the new ones may be stored in the clear.
    const patchedValues = oauth2('patched');
    const patched = await api.patch(secretPath(world.workspaceId, first.id), auth, {
      data: { type: 'auth-secret', attributes: { credentials: patchedValues } },
    });
    expectStatus(patched, 200);
    expect(
      (await api.get(secretPath(world.workspaceId, second.id), auth)).body.data.attributes.credentials,
    ).toEqual(custom);

    const items = await scanAll();
    const dump = items.map((item) => JSON.stringify(item));
    expect(dump.some((text) => text.includes(first.id))).toBe(true);
    expect(dump.some((text) => text.includes(second.id))).toBe(true);
    const plaintexts = [
      oauth2Values.access_token,
      oauth2Values.refresh_token,
      patchedValues.access_token,
      patchedValues.refresh_token,
      custom.api_key,
      custom.nested.password,
      custom.nested.list[0] ?? '',
      clientSecret,
      'client-secret',
      JSON.stringify(custom),
      JSON.stringify(patchedValues),
    ];
    const found = plaintexts.flatMap((plaintext) =>
      spellings(plaintext).flatMap((spelling) =>
        dump.filter((text) => text.includes(spelling)).map((text) => `${spelling} in ${text.slice(0, 200)}`),
      ),
    );
    expect(found).toEqual([]);
    // The secrets' items do carry their credentials, sealed.
    for (const id of [first.id, second.id]) {
      const item = await rawSecretItem(id);
      expect(item.sealedCredentials?.S?.length ?? 0).toBeGreaterThan(20);
    }
  });
});

describe('a ciphertext copied onto another record', () => {
  async function copySealedCredentials(fromId: string, toId: string): Promise<string> {
    const source = await rawSecretItem(fromId);
    const target = await rawSecretItem(toId);
    const sealed = source.sealedCredentials?.S ?? '';
    expect(sealed).not.toBe(target.sealedCredentials?.S);
    await server.stack.dynamoDb.send(
      new UpdateItemCommand({
        TableName: server.stack.tableName,
        Key: await keyOf(target),
        UpdateExpression: 'SET sealedCredentials = :sealed',
        ExpressionAttributeValues: { ':sealed': { S: sealed } },
      }),
    );
    expect((await rawSecretItem(toId)).sealedCredentials?.S).toBe(sealed);
    return sealed;
  }

  test('within one workspace: GET of the target is an opaque 5xx, never the other secret', async () => {
    const sourceValues = oauth2('source');
    const targetValues = oauth2('target');
    const source = await createSecret(world.oauth2ClientId, sourceValues);
    const target = await createSecret(world.oauth2ClientId, targetValues);
    const sealed = await copySealedCredentials(source.id, target.id);
    const secrets = [...Object.values(sourceValues), ...Object.values(targetValues)]
      .filter((value): value is string => typeof value === 'string')
      .concat(sealed);

    const read = await api.get(secretPath(world.workspaceId, target.id), auth);
    expectOpaqueServerError(read, secrets);
    const again = await api.get(secretPath(world.workspaceId, target.id), token(world.admin));
    expectOpaqueServerError(again, secrets);

    // Nor may a PATCH, or the list, show the target with the source's credentials.
    const patched = await api.patch(secretPath(world.workspaceId, target.id), auth, {
      data: { type: 'auth-secret', attributes: { name: 'renamed' } },
    });
    expect(patched.text).not.toContain(sourceValues.access_token);
    expect(patched.text).not.toContain(sourceValues.refresh_token);
    if (patched.status !== 200) expectOpaqueServerError(patched, secrets);
    expectOpaqueServerError(await api.get(secretPath(world.workspaceId, target.id), auth), secrets);
    const list = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth);
    if (list.status === 200) {
      const listed = (list.body.data as Json[]).find((resource) => resource.id === target.id);
      expect(listed?.attributes?.credentials).not.toEqual(sourceValues);
      expect(JSON.stringify(listed ?? {})).not.toContain(sourceValues.access_token);
    } else {
      expect(list.status).toBeGreaterThanOrEqual(500);
      expect(list.body.errors).toEqual(expect.any(Array));
    }

    // The source itself is untouched.
    const sourceRead = await api.get(secretPath(world.workspaceId, source.id), auth);
    expectStatus(sourceRead, 200);
    expect(sourceRead.body.data.attributes.credentials).toEqual(sourceValues);
  });

  test("from another tenant's workspace: GET of the target is an opaque 5xx", async () => {
    const other = await createWorld(server.stack.services);
    const sourceValues = { api_key: unique('foreign-key') };
    const source = await createSecret(other.otherClientId, sourceValues, {
      workspaceId: other.workspaceId,
      auth: basic(other.admin),
    });
    const target = await createSecret(world.otherClientId, { api_key: unique('own-key') });
    const sealed = await copySealedCredentials(source.id, target.id);
    const read = await api.get(secretPath(world.workspaceId, target.id), auth);
    expectOpaqueServerError(read, [sourceValues.api_key, sealed]);
    const sourceRead = await api.get(secretPath(other.workspaceId, source.id), basic(other.admin));
    expectStatus(sourceRead, 200);
    expect(sourceRead.body.data.attributes.credentials).toEqual(sourceValues);
  });

  test('a tampered ciphertext is an opaque 5xx too', async () => {
    const values = oauth2('tampered');
    const secret = await createSecret(world.oauth2ClientId, values);
    const item = await rawSecretItem(secret.id);
    const sealed = item.sealedCredentials?.S ?? '';
    const last = sealed.slice(-1);
    await server.stack.dynamoDb.send(
      new UpdateItemCommand({
        TableName: server.stack.tableName,
        Key: await keyOf(item),
        UpdateExpression: 'SET sealedCredentials = :sealed',
        ExpressionAttributeValues: { ':sealed': { S: `${sealed.slice(0, -1)}${last === 'A' ? 'B' : 'A'}` } },
      }),
    );
    expectOpaqueServerError(await api.get(secretPath(world.workspaceId, secret.id), auth), [
      values.access_token,
      values.refresh_token,
    ]);
  });
});

describe('restart', () => {
  test('secrets and API keys survive server.restart()', async () => {
    // A workspace of its own: the one above now holds records that were tampered with on purpose.
    const world = await createWorld(server.stack.services);
    const auth = basic(world.admin);
    const here = { workspaceId: world.workspaceId, auth };
    const values = oauth2('durable');
    const custom = { api_key: unique('durable-key') };
    const first = await createSecret(world.oauth2ClientId, values, here);
    const second = await createSecret(world.otherClientId, custom, here);
    const before = await Promise.all(
      [first, second].map((secret) => api.get(secretPath(world.workspaceId, secret.id), auth)),
    );
    const listBefore = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth);
    expectStatus(listBefore, 200);

    await server.restart();

    for (const [index, secret] of [first, second].entries()) {
      for (const credentials of [auth, token(world.admin)]) {
        const read = await api.get(secretPath(world.workspaceId, secret.id), credentials);
        expectStatus(read, 200);
        expect(read.body).toEqual(before[index]?.body);
      }
    }
    expect(
      (await api.get(secretPath(world.workspaceId, first.id), auth)).body.data.attributes.credentials,
    ).toEqual(values);
    const listAfter = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth);
    expectStatus(listAfter, 200);
    expect(listAfter.body).toEqual(listBefore.body);

    // Still writable: the local key is the same one, so old and new secrets both open.
    const third = await createSecret(world.otherClientId, { api_key: unique('after-restart') }, here);
    const patched = await api.patch(secretPath(world.workspaceId, first.id), token(world.admin), {
      data: { type: 'auth-secret', attributes: { name: 'after restart' } },
    });
    expectStatus(patched, 200);
    expect(patched.body.data.attributes.credentials).toEqual(values);
    expectStatus(await api.get(secretPath(world.workspaceId, third.id), auth), 200);
    const wrong = await api.get(secretPath(world.workspaceId, first.id), {
      'X-Auth-Token': `${world.admin.apiKey.slice(0, -1)}${world.admin.apiKey.endsWith('A') ? 'B' : 'A'}`,
    });
    expect(wrong.status).toBe(401);
  }, 120_000);

  test('every write acknowledged before a SIGKILL of the whole local stack is there after it starts again', async () => {
    // Prepare
    const world = await createWorld(server.stack.services);
    const auth = basic(world.admin);
    const here = { workspaceId: world.workspaceId, auth };
    // One after another: concurrent requests would each wait for a cold container of their own.
    const created: Json[] = [];
    for (let index = 0; index < 12; index++) {
      created.push(await createSecret(world.otherClientId, { api_key: unique(`crash-${index}`) }, here));
    }

    // Act: no chance to flush or close anything.
    await server.restart({ crash: true });

    // Assess
    const list = await api.get(`${secretsPath(world.workspaceId)}?page[limit]=100`, auth);
    expectStatus(list, 200);
    expect(list.body.meta.total).toBe(created.length);
    expect(list.body.data.map((secret: Json) => secret.id).sort()).toEqual(
      created.map((secret) => secret.id).sort(),
    );
    for (const secret of created) {
      expectStatus(await api.get(secretPath(world.workspaceId, secret.id), auth), 200);
    }
  }, 120_000);
});
