/**
 * The v1 API driven by the real python-barbicanclient, the Debian package `python3-barbicanclient`
 * on the system Python (/usr/bin/python3, not a pyenv one): create with and without a payload,
 * a binary payload, list with paging and the name filter, metadata, payloads, delete, user
 * metadata, and the client's errors. The package is installed here when it is missing (root only).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { startLocalServer, type LocalServer } from '../support/server';
import { createV1World, V1Api, warmUp, type Json } from './v1Api';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(__dirname, '../support/barbican_client.py');
const BINARY = Buffer.from([0, 1, 2, 0xb0, 0xfe, 0xff]);

/** Installs python3-barbicanclient from Debian unless the system Python can import it already. */
async function ensureBarbicanClient(): Promise<void> {
  try {
    await run(PYTHON, ['-c', 'import barbicanclient']);
    return;
  } catch {
    // not installed yet
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'python3-barbicanclient is missing and only root can install it: apt-get install -y python3-barbicanclient',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  await run('apt-get', ['install', '-y', 'python3-barbicanclient'], {
    env,
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  await run(PYTHON, ['-c', 'import barbicanclient']);
}

let server: LocalServer;
let result: Json;
let world: Awaited<ReturnType<typeof createV1World>>;

beforeAll(async () => {
  const [started] = await Promise.all([startLocalServer(), ensureBarbicanClient()]);
  server = started;
  world = await createV1World(server.stack.services);
  await warmUp(new V1Api(server.baseUrl), world.admin.apiKey, world.workspaceId);
  const { stdout } = await run(PYTHON, [SCRIPT, server.baseUrl, world.admin.apiKey, world.workspaceId], {
    // The local server is on loopback: no proxy may stand in between.
    env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    timeout: 240_000,
  });
  result = JSON.parse(stdout);
}, 1_200_000);

afterAll(async () => {
  await server?.stop();
});

describe('python-barbicanclient', () => {
  test('stores secrets and gets secret_refs ending in a UUID', () => {
    for (const ref of [result.text_ref, result.binary_ref, result.empty_ref]) {
      expect(ref).toMatch(
        new RegExp(`^${server.baseUrl}/v1/secrets/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$`),
      );
    }
  });

  test('reads the metadata of a text secret and its payload back as text', () => {
    expect(result.text).toEqual({
      secret_ref: result.text_ref,
      name: 'client-text',
      status: 'ACTIVE',
      secret_type: 'opaque',
      algorithm: null,
      bit_length: null,
      mode: null,
      content_types: { default: 'text/plain' },
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/),
      expiration: null,
    });
    expect(result.text_payload).toBe('s3cr3t text \u2713');
  });

  test('stores a binary payload (not UTF-8) as application/octet-stream and gets the same bytes', () => {
    expect(result.binary.content_types).toEqual({ default: 'application/octet-stream' });
    expect(Buffer.from(result.binary_payload, 'base64')).toEqual(BINARY);
  });

  test('creates a secret without a payload, gives it one with update(), and cannot give it another', () => {
    expect(result.empty_before).toMatchObject({
      name: 'client-empty',
      algorithm: 'aes',
      bit_length: 256,
      mode: 'cbc',
      secret_type: 'symmetric',
      content_types: null,
      expiration: '2030-02-28T19:14:44.180394+00:00',
    });
    expect(result.empty_after.content_types).toEqual({ default: 'application/octet-stream' });
    expect(Buffer.from(result.empty_payload, 'base64').toString()).toBe('given-later');
    expect(result.second_put).toEqual({
      status: 409,
      message: 'Conflict: Secret already has data, cannot modify it.',
    });
  });

  test('lists with paging, the total, the name filter and sort', () => {
    expect(result.page1).toEqual(['client-text', 'client-binary']);
    expect(result.page2).toEqual(['client-empty']);
    expect(result.total).toBe(3);
    expect(result.by_name).toEqual([result.binary]);
    expect(result.sorted).toEqual(['client-text', 'client-empty', 'client-binary']);
  });

  test('manages user metadata through the documented calls', () => {
    const metadataRef = `${result.text_ref}/metadata`;
    expect(result.metadata_put).toEqual({ metadata_ref: metadataRef });
    expect(result.metadata_post).toEqual({ key: 'team', value: 'keys' });
    expect(result.metadata).toEqual({ metadata: { owner: 'ada', env: 'prod', team: 'keys' } });
    expect(result.metadatum).toEqual({ key: 'owner', value: 'ada' });
    expect(result.metadatum_put).toEqual({ key: 'owner', value: 'bob' });
    expect(result.metadatum_delete).toBe(204);
    expect(result.metadata_after).toEqual({ metadata: { owner: 'bob', team: 'keys' } });
  });

  test("sees Barbican's errors as the client's HTTP errors, and a deleted secret as 404", () => {
    expect(result.bad_create.status).toBe(400);
    expect(result.bad_create.message).toMatch(
      /^Bad Request: Provided object does not match schema 'Secret': /,
    );
    expect(result.after_delete).toEqual({
      status: 404,
      message: 'Not Found: Not Found. Sorry but your secret is in another castle.',
    });
    expect(result.names_after_delete).toEqual(['client-empty', 'client-text']);
  });
});
