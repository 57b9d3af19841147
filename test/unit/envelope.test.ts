import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
  KMSServiceException,
  type DecryptCommandInput,
  type GenerateDataKeyCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptionError, type EncryptionContext } from '../../lib/crypto/dataKeys';
import { Envelope, type SealBinding } from '../../lib/crypto/envelope';
import { KmsDataKeyProvider } from '../../lib/crypto/kmsDataKeys';
import { LocalDataKeyProvider } from '../../lib/crypto/localDataKeys';

const KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/test';
const MAX_AGE_MS = 5 * 60_000;

const kmsMock = mockClient(KMSClient);

/** Independent of the code under test: the fake compares contexts as sets of pairs, like KMS does. */
const contextKey = (context: Record<string, string> | undefined) =>
  JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b)));

/**
 * A stand-in for KMS at the SDK boundary that keeps KMS's contract: a data key's ciphertext blob
 * decrypts only under the key id and the exact encryption context it was generated with.
 */
function fakeKms() {
  const issued = new Map<string, { plaintext: Buffer; context: string; keyId: string | undefined }>();
  kmsMock.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyCommandInput) => {
    const plaintext = randomBytes(32);
    const blob = randomBytes(64);
    issued.set(blob.toString('base64'), {
      plaintext,
      context: contextKey(input.EncryptionContext),
      keyId: input.KeyId,
    });
    return {
      KeyId: input.KeyId,
      Plaintext: Uint8Array.from(plaintext),
      CiphertextBlob: Uint8Array.from(blob),
    };
  });
  kmsMock.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    const entry = issued.get(Buffer.from(input.CiphertextBlob ?? new Uint8Array()).toString('base64'));
    if (!entry || entry.context !== contextKey(input.EncryptionContext) || entry.keyId !== input.KeyId) {
      throw new InvalidCiphertextException({ message: 'The ciphertext is invalid.', $metadata: {} });
    }
    return { KeyId: entry.keyId, Plaintext: Uint8Array.from(entry.plaintext) };
  });
}

const generateCalls = () => kmsMock.commandCalls(GenerateDataKeyCommand).length;
const decryptCalls = () => kmsMock.commandCalls(DecryptCommand).length;
const kmsCalls = () => kmsMock.calls().length;

function kmsEnvelope(options: { now?: () => number; maxCachedKeys?: number } = {}): Envelope {
  const provider = new KmsDataKeyProvider(new KMSClient({ region: 'us-east-1' }), KEY_ARN);
  return new Envelope(provider, { dataKeyMaxAgeMs: MAX_AGE_MS, ...options });
}

const context = (workspace: string, tenant = 'tenant-1'): EncryptionContext => ({
  purpose: 'auth-secret',
  tenant,
  workspace,
});
const binding = (recordId: string, workspace = 'workspace-1', tenant = 'tenant-1'): SealBinding => ({
  context: context(workspace, tenant),
  recordId: `auth-secret/${recordId}`,
});
const credentials = (n: number) => ({
  access_token: `access-${n}`,
  refresh_token: `refresh-${n}`,
  expires_in: 3600,
});
const range = (count: number) => Array.from({ length: count }, (_, index) => index);

async function sealSequentially(envelope: Envelope, count: number, workspace = 'workspace-1') {
  const sealed: string[] = [];
  for (const n of range(count)) sealed.push(await envelope.seal(credentials(n), binding(`r${n}`, workspace)));
  return sealed;
}

beforeEach(() => {
  kmsMock.reset();
  fakeKms();
});

afterAll(() => {
  kmsMock.restore();
});

describe('Envelope over KMS', () => {
  test('a sealed value opens to the same value under the same binding', async () => {
    // Prepare
    const envelope = kmsEnvelope();
    const value = { api_key: 'k-123', nested: { list: [1, 'two', null] } };

    // Act
    const sealed = await envelope.seal(value, binding('r1'));
    const opened = await kmsEnvelope().open(sealed, binding('r1'));

    // Assess
    expect(opened).toEqual(value);
  });

  test('a value with members named __proto__ opens to exactly what was sealed', async () => {
    // Prepare: JSON.parse makes "__proto__" an own member, as a request body has it.
    const text = '{"__proto__":{"__proto__":"inner"},"plain":"x"}';

    // Act
    const sealed = await kmsEnvelope().seal(JSON.parse(text), binding('r1'));
    const opened = await kmsEnvelope().open(sealed, binding('r1'));

    // Assess
    expect(JSON.stringify(opened)).toBe(text);
    expect(Object.getPrototypeOf(opened)).toBe(Object.prototype);
  });

  test('the sealed form holds neither the plaintext value nor the plaintext data key', async () => {
    // Prepare
    const envelope = kmsEnvelope();

    // Act
    const sealed = await envelope.seal({ access_token: 'very-secret-token' }, binding('r1'));

    // Assess
    const decodedParts = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
    expect(sealed).not.toContain('very-secret-token');
    expect(decodedParts.some((part) => part.includes('very-secret-token'))).toBe(false);
    const generated = kmsMock.commandCalls(GenerateDataKeyCommand)[0]?.returnValue;
    const plaintextKey = Buffer.from((await generated)?.Plaintext ?? new Uint8Array());
    expect(plaintextKey).toHaveLength(32);
    expect(decodedParts.some((part) => part.includes(plaintextKey))).toBe(false);
  });

  test('the data key is generated under the key id with the tenant and workspace as encryption context', async () => {
    // Prepare
    const envelope = kmsEnvelope();

    // Act
    await envelope.seal(credentials(1), binding('r1', 'workspace-7', 'tenant-3'));

    // Assess
    const [call] = kmsMock.commandCalls(GenerateDataKeyCommand);
    expect(call?.args[0].input).toEqual({
      KeyId: KEY_ARN,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'auth-secret', tenant: 'tenant-3', workspace: 'workspace-7' },
    });
  });

  test('sealing 100 values in one workspace makes one GenerateDataKey call', async () => {
    // Prepare
    const envelope = kmsEnvelope();

    // Act
    await sealSequentially(envelope, 100);

    // Assess
    expect(generateCalls()).toBe(1);
    expect(kmsCalls()).toBe(1);
  });

  test('sealing 100 values concurrently in one workspace makes one GenerateDataKey call', async () => {
    // Prepare
    const envelope = kmsEnvelope();

    // Act
    await Promise.all(range(100).map((n) => envelope.seal(credentials(n), binding(`r${n}`))));

    // Assess
    expect(generateCalls()).toBe(1);
  });

  test('each workspace gets its own data key', async () => {
    // Prepare
    const envelope = kmsEnvelope();

    // Act
    await sealSequentially(envelope, 3, 'workspace-a');
    await sealSequentially(envelope, 3, 'workspace-b');

    // Assess
    const contexts = kmsMock.commandCalls(GenerateDataKeyCommand).map((call) => call.args[0].input);
    expect(contexts.map((input) => input.EncryptionContext?.workspace)).toEqual([
      'workspace-a',
      'workspace-b',
    ]);
  });

  test('opening 100 values warm, in the container that sealed them, makes no KMS call', async () => {
    // Prepare
    const envelope = kmsEnvelope();
    const sealed = await sealSequentially(envelope, 100);
    kmsMock.resetHistory();

    // Act
    const opened = await Promise.all(sealed.map((value, n) => envelope.open(value, binding(`r${n}`))));

    // Assess
    expect(opened).toEqual(range(100).map(credentials));
    expect(kmsCalls()).toBe(0);
  });

  test('a cold envelope opening 100 values sealed under one data key makes one Decrypt call', async () => {
    // Prepare
    const sealed = await sealSequentially(kmsEnvelope(), 100);
    kmsMock.resetHistory();
    const cold = kmsEnvelope();

    // Act
    const opened: unknown[] = [];
    for (const [n, value] of sealed.entries()) opened.push(await cold.open(value, binding(`r${n}`)));

    // Assess
    expect(opened).toEqual(range(100).map(credentials));
    expect(decryptCalls()).toBe(1);
    expect(kmsCalls()).toBe(1);
  });

  test('a cold envelope opening a page of 100 values concurrently, as listSecrets does, makes one Decrypt call', async () => {
    // Prepare
    const sealed = await sealSequentially(kmsEnvelope(), 100);
    kmsMock.resetHistory();
    const cold = kmsEnvelope();

    // Act
    const opened = await Promise.all(sealed.map((value, n) => cold.open(value, binding(`r${n}`))));

    // Assess
    expect(opened).toEqual(range(100).map(credentials));
    expect(decryptCalls()).toBe(1);
  });

  test('the warm envelope opens the next page of the same data key without KMS', async () => {
    // Prepare
    const sealed = await sealSequentially(kmsEnvelope(), 20);
    const cold = kmsEnvelope();
    await cold.open(sealed[0] ?? '', binding('r0'));
    kmsMock.resetHistory();

    // Act
    for (const [n, value] of sealed.entries()) await cold.open(value, binding(`r${n}`));

    // Assess
    expect(kmsCalls()).toBe(0);
  });

  test('a value moved onto another record id of the same workspace fails to open', async () => {
    // Prepare
    const envelope = kmsEnvelope();
    const sealed = await envelope.seal(credentials(1), binding('record-a'));

    // Act
    const warm = envelope.open(sealed, binding('record-b'));
    const cold = kmsEnvelope().open(sealed, binding('record-b'));

    // Assess
    await expect(warm).rejects.toBeInstanceOf(DecryptionError);
    await expect(cold).rejects.toBeInstanceOf(DecryptionError);
  });

  test('a value moved into another workspace fails to open, even where its data key is cached', async () => {
    // Prepare
    const envelope = kmsEnvelope();
    const sealed = await envelope.seal(credentials(1), binding('r1', 'workspace-a'));
    kmsMock.resetHistory();

    // Act
    const moved = envelope.open(sealed, binding('r1', 'workspace-b'));

    // Assess
    await expect(moved).rejects.toBeInstanceOf(DecryptionError);
    const [decrypt] = kmsMock.commandCalls(DecryptCommand);
    expect(decrypt?.args[0].input.EncryptionContext).toEqual(context('workspace-b'));
  });

  test('a value moved into a workspace of another tenant fails to open in a cold envelope', async () => {
    // Prepare
    const sealed = await kmsEnvelope().seal(credentials(1), binding('r1', 'workspace-a', 'tenant-a'));

    // Act
    const moved = kmsEnvelope().open(sealed, binding('r1', 'workspace-a', 'tenant-b'));

    // Assess
    await expect(moved).rejects.toBeInstanceOf(DecryptionError);
  });

  test('a tampered ciphertext or an unknown format fails to open', async () => {
    // Prepare
    const envelope = kmsEnvelope();
    const sealed = await envelope.seal(credentials(1), binding('r1'));
    const [format, wrapped, iv, body = ''] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 0xff;
    const tampered = [format, wrapped, iv, flipped.toString('base64url')].join('.');

    // Act
    const results = [
      envelope.open(tampered, binding('r1')),
      envelope.open(`v0.${wrapped}.${iv}.${body}`, binding('r1')),
      envelope.open('not a sealed value', binding('r1')),
    ];

    // Assess
    for (const result of results) await expect(result).rejects.toBeInstanceOf(DecryptionError);
  });

  test('a KMS fault other than an invalid ciphertext is not reported as a decryption failure', async () => {
    // Prepare
    const sealed = await kmsEnvelope().seal(credentials(1), binding('r1'));
    kmsMock.on(DecryptCommand).rejects(
      new KMSServiceException({
        name: 'KMSInternalException',
        $fault: 'server',
        message: 'internal',
        $metadata: {},
      }),
    );

    // Act
    const opened = kmsEnvelope().open(sealed, binding('r1'));

    // Assess
    await expect(opened).rejects.toMatchObject({ name: 'KMSInternalException' });
    await expect(opened).rejects.not.toBeInstanceOf(DecryptionError);
  });

  test('a data key seals new values until its max age, then a new one is generated', async () => {
    // Prepare
    let now = 1_000_000;
    const envelope = kmsEnvelope({ now: () => now });

    // Act
    const first = await envelope.seal(credentials(1), binding('r1'));
    now += MAX_AGE_MS - 1;
    const second = await envelope.seal(credentials(2), binding('r2'));
    const callsWithinMaxAge = generateCalls();
    now += 1;
    const third = await envelope.seal(credentials(3), binding('r3'));

    // Assess
    expect(callsWithinMaxAge).toBe(1);
    expect(generateCalls()).toBe(2);
    const wrappedKey = (sealed: string) => sealed.split('.')[1];
    expect(wrappedKey(second)).toBe(wrappedKey(first));
    expect(wrappedKey(third)).not.toBe(wrappedKey(first));
    await expect(kmsEnvelope().open(first, binding('r1'))).resolves.toEqual(credentials(1));
    await expect(kmsEnvelope().open(third, binding('r3'))).resolves.toEqual(credentials(3));
  });

  test('the key cache stays within maxCachedKeys', async () => {
    // Prepare
    const envelope = kmsEnvelope({ maxCachedKeys: 2 });
    await sealSequentially(envelope, 1, 'workspace-a');
    await sealSequentially(envelope, 1, 'workspace-b');
    await sealSequentially(envelope, 1, 'workspace-c');
    kmsMock.resetHistory();

    // Act
    await sealSequentially(envelope, 1, 'workspace-c');
    const callsForCachedWorkspace = generateCalls();
    await sealSequentially(envelope, 1, 'workspace-a');

    // Assess
    expect(callsForCachedWorkspace).toBe(0);
    expect(generateCalls()).toBe(1);
  });
});

describe('LocalDataKeyProvider', () => {
  const keyFileIn = (directory: string) => join(directory, 'nested', 'local-kms.key');
  const newKeyFile = () => keyFileIn(mkdtempSync(join(tmpdir(), 'auth-secrets-unit-')));

  test('a wrapped data key unwraps under the context it was made with, in any key order', async () => {
    // Prepare
    const provider = new LocalDataKeyProvider(newKeyFile());
    const { plaintext, wrapped } = await provider.generateDataKey(context('workspace-1'));

    // Act
    const unwrapped = await provider.unwrapDataKey(wrapped, {
      workspace: 'workspace-1',
      tenant: 'tenant-1',
      purpose: 'auth-secret',
    });

    // Assess
    expect(plaintext).toHaveLength(32);
    expect(unwrapped.equals(plaintext)).toBe(true);
    expect(wrapped.includes(plaintext)).toBe(false);
  });

  test('a wrapped data key does not unwrap under another context', async () => {
    // Prepare
    const provider = new LocalDataKeyProvider(newKeyFile());
    const { wrapped } = await provider.generateDataKey(context('workspace-1'));

    // Act
    const attempts = [
      provider.unwrapDataKey(wrapped, context('workspace-2')),
      provider.unwrapDataKey(wrapped, context('workspace-1', 'tenant-2')),
      provider.unwrapDataKey(wrapped, { ...context('workspace-1'), extra: 'x' }),
      provider.unwrapDataKey(wrapped, {}),
    ];

    // Assess
    for (const attempt of attempts) await expect(attempt).rejects.toBeInstanceOf(DecryptionError);
  });

  test('the key file is created with mode 0600 and reused by the next provider', async () => {
    // Prepare
    const keyFile = newKeyFile();
    const first = new LocalDataKeyProvider(keyFile);
    const keyText = readFileSync(keyFile, 'utf8');
    const { plaintext, wrapped } = await first.generateDataKey(context('workspace-1'));

    // Act
    const second = new LocalDataKeyProvider(keyFile);
    const unwrapped = await second.unwrapDataKey(wrapped, context('workspace-1'));

    // Assess
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(Buffer.from(keyText.trim(), 'base64')).toHaveLength(32);
    expect(readFileSync(keyFile, 'utf8')).toBe(keyText);
    expect(unwrapped.equals(plaintext)).toBe(true);
  });

  test('a data key wrapped under another key file does not unwrap', async () => {
    // Prepare
    const { wrapped } = await new LocalDataKeyProvider(newKeyFile()).generateDataKey(context('workspace-1'));

    // Act
    const attempt = new LocalDataKeyProvider(newKeyFile()).unwrapDataKey(wrapped, context('workspace-1'));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DecryptionError);
  });

  test('a key file that does not hold a 256-bit key is refused', () => {
    // Prepare
    const keyFile = join(mkdtempSync(join(tmpdir(), 'auth-secrets-unit-')), 'local-kms.key');
    writeFileSync(keyFile, Buffer.from('too short').toString('base64'), { mode: 0o600 });

    // Act
    const create = () => new LocalDataKeyProvider(keyFile);

    // Assess
    expect(create).toThrow(/256-bit/);
  });

  test('under an Envelope, a value moved to another record or workspace fails to open', async () => {
    // Prepare
    const provider = new LocalDataKeyProvider(newKeyFile());
    const sealed = await new Envelope(provider, { dataKeyMaxAgeMs: MAX_AGE_MS }).seal(
      credentials(1),
      binding('r1'),
    );
    const cold = () => new Envelope(provider, { dataKeyMaxAgeMs: MAX_AGE_MS });

    // Act
    const sameRecord = cold().open(sealed, binding('r1'));
    const otherRecord = cold().open(sealed, binding('r2'));
    const otherWorkspace = cold().open(sealed, binding('r1', 'workspace-2'));

    // Assess
    await expect(sameRecord).resolves.toEqual(credentials(1));
    await expect(otherRecord).rejects.toBeInstanceOf(DecryptionError);
    await expect(otherWorkspace).rejects.toBeInstanceOf(DecryptionError);
  });
});
