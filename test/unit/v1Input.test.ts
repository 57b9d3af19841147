/**
 * Request bodies and Accept headers of the v1 API, against the cases of Barbican's own functional
 * tests (functionaltests/api/v1/functional/test_secrets.py) and its validators' messages.
 */
import { AppError } from '../../lib/errors';
import {
  MAX_SECRET_BYTES,
  readMetadata,
  readMetadatum,
  readNewSecret,
  readPayloadUpdate,
  stripStrings,
} from '../../lib/barbican/input';
import { parseIsoTime } from '../../lib/barbican/isoTime';
import { choosePayloadType, normalizeContentType, wantsMetadata } from '../../lib/barbican/mediaTypes';

const NOW = parseIsoTime('2026-01-01T00:00:00Z') ?? 0n;

function failure(action: () => unknown): { status: number; message: string } {
  try {
    action();
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

const defaults = () => ({
  name: 'AES key',
  expiration: '2030-02-28T19:14:44.180394',
  algorithm: 'aes',
  bit_length: 256,
  mode: 'cbc',
  payload: 'AQIDBAUGBwgBAgMEBQYHCAECAwQFBgcIAQIDBAUGBwg=',
  payload_content_type: 'application/octet-stream',
  payload_content_encoding: 'base64',
});

const create = (body: unknown) => readNewSecret(stripStrings(body), NOW);

describe('POST /v1/secrets bodies', () => {
  test("Barbican's default secret: every field read, the payload decoded", () => {
    // Act
    const secret = create(defaults());

    // Assess
    expect(secret).toMatchObject({
      name: 'AES key',
      secretType: 'opaque',
      algorithm: 'aes',
      bitLength: 256,
      mode: 'cbc',
      expiration: parseIsoTime('2030-02-28T19:14:44.180394'),
    });
    expect(secret.payload?.contentType).toBe('application/octet-stream');
    expect(secret.payload?.bytes.toString('hex')).toBe('0102030405060708'.repeat(4));
  });

  test('an empty document is a secret without a payload; strings are stripped; text is its UTF-8', () => {
    // Act
    const empty = create({});
    const text = create({ name: '  spaced  ', payload: ' pässword\n', payload_content_type: 'text/plain' });

    // Assess
    expect(empty).toEqual({
      name: null,
      secretType: 'opaque',
      algorithm: null,
      bitLength: null,
      mode: null,
      expiration: null,
      payload: null,
    });
    expect(text.name).toBe('spaced');
    expect(text.payload).toEqual({ bytes: Buffer.from('pässword'), contentType: 'text/plain' });
  });

  test.each([
    ['bit_length', 'not-an-int', "'not-an-int' is not of type 'integer'"],
    ['bit_length', '', "'' is not of type 'integer'"],
    ['bit_length', ' ', "'' is not of type 'integer'"],
    ['bit_length', -2147483648, '-2147483648 is less than the minimum of 1'],
    ['bit_length', 0, '0 is less than the minimum of 1'],
    ['bit_length', 32768, '32768 is greater than the maximum of 32767'],
    ['name', 400, "400 is not of type 'string', 'null'"],
    ['algorithm', 400, "400 is not of type 'string'"],
    ['mode', 0, "0 is not of type 'string'"],
    ['mode', 'x'.repeat(256), `'${'x'.repeat(256)}' is too long`],
    [
      'secret_type',
      'shared',
      "'shared' is not one of ['symmetric', 'passphrase', 'private', 'public', 'certificate', 'opaque']",
    ],
    ['expiration', '2000-01-10T14:58:52.546795', "'expiration' is before current time"],
    ['expiration', '2030-01-01T00:00:00-5:00', "Invalid date for 'expiration'"],
  ])('%s %j is refused: %s', (property, value, reason) => {
    // Act
    const error = failure(() => create({ ...defaults(), [property]: value }));

    // Assess
    expect(error).toEqual({
      status: 400,
      message: `Provided object does not match schema 'Secret': ${reason}. Invalid property: '${property}'`,
    });
  });

  test.each([
    ['', ''],
    [null, null],
    ['x'.repeat(256), 'x'.repeat(256)],
    [123, 123],
    [null, 'base64'],
    ['text/plain', ''],
    ['text', undefined],
    ['text/', undefined],
    ['text/plain', ' '],
    ['text/plain', 'base64'],
    ['text/plain; charset=utf-88', undefined],
    ['invalid', 'base64'],
    ['invalid', undefined],
    ['application/octet-stream', 'invalid'],
    ['text/plain', 'invalid'],
    [undefined, 'invalid'],
    ['plain-text', 'base64'],
    ['application/octet-stream', undefined],
  ])('payload_content_type %j with payload_content_encoding %j is a 400', (type, encoding) => {
    // Act
    const error = failure(() =>
      create({ ...defaults(), payload_content_type: type, payload_content_encoding: encoding }),
    );

    // Assess
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^Provided object does not match schema 'Secret': /);
  });

  test('the unsupported-type message lists the types as Barbican does', () => {
    // Act
    const error = failure(() => create({ ...defaults(), payload_content_type: 'plain-text' }));

    // Assess
    expect(error.message).toBe(
      "Provided object does not match schema 'Secret': payload_content_type is not one of " +
        "['text/plain', 'text/plain;charset=utf-8', 'text/plain; charset=utf-8', 'application/octet-stream', " +
        "'application/pkcs8', 'application/pkix-cert']. Invalid property: 'payload_content_type'",
    );
  });

  test.each([[''], [['boom']], [123], [null], ['\u0080'], ['\u1111\uffff'], ['abc'], ['!!!!'], ['*']])(
    'a base64 payload %j is a 400 (none decodes to a payload: `!!!!` to nothing)',
    (payload) => {
      // Act
      const error = failure(() => create({ ...defaults(), payload }));

      // Assess
      expect(error.status).toBe(400);
    },
  );

  test('a content type without a payload is refused; a payload over 20000 bytes is a 413', () => {
    // Act
    const typeOnly = failure(() => create({ payload_content_type: 'application/octet-stream' }));
    const tooBig = failure(() =>
      create({ payload: 'a'.repeat(MAX_SECRET_BYTES + 1), payload_content_type: 'text/plain' }),
    );

    // Assess
    expect(typeOnly.message).toBe(
      "Provided object does not match schema 'Secret': payload must be provided when payload_content_type is specified. Invalid property: 'payload'",
    );
    expect(tooBig).toEqual({ status: 413, message: 'Provided information too large to process' });
  });

  test.each([
    ['text/plain', 'text/plain'],
    ['TEXT/PLAIN', 'text/plain'],
    ['text/plain;charset=utf-8', 'text/plain'],
    ['text/plain; charset=UTF-8', 'text/plain'],
    ['text/plain; charset=latin1', undefined],
    ['application/pkcs8', 'application/pkcs8'],
    ['application/aes', undefined],
  ])('%j normalises to %j', (type, expected) => {
    expect(normalizeContentType(type)).toBe(expected);
  });
});

describe('PUT /v1/secrets/{id} bodies', () => {
  test('text and raw bytes are stored as sent; base64 is decoded with Content-Encoding: base64', () => {
    // Act
    const text = readPayloadUpdate(Buffer.from('hi'), 'text/plain; charset=utf-8', undefined);
    const raw = readPayloadUpdate(Buffer.from([0, 255]), 'application/octet-stream', undefined);
    const encoded = readPayloadUpdate(Buffer.from('AP8='), 'application/octet-stream', 'base64');

    // Assess
    expect([text.contentType, text.decode().toString()]).toEqual(['text/plain', 'hi']);
    expect(raw.decode()).toEqual(Buffer.from([0, 255]));
    expect(encoded.decode()).toEqual(Buffer.from([0, 255]));
  });

  test('a base64 body that decodes to nothing (`!!!!`: no base64 in it) is refused, not stored empty', () => {
    // Act
    const refused = failure(() =>
      readPayloadUpdate(Buffer.from('!!!!'), 'application/octet-stream', 'base64').decode(),
    );

    // Assess
    expect(refused).toEqual({ status: 400, message: 'Secret update issue seen - Problem decoding payload.' });
  });

  test('a text/plain payload that is not UTF-8 is refused at once: it could never be read back as text', () => {
    // Act
    const refused = failure(() => readPayloadUpdate(Buffer.from([0xff, 0xfe]), 'text/plain', undefined));

    // Assess
    expect(refused).toEqual({ status: 400, message: 'Secret update issue seen - Problem decoding payload.' });
  });

  test("an empty body is a 400, a large one a 413, another encoding a 400 — in Barbican's words", () => {
    // Act
    const empty = failure(() => readPayloadUpdate(Buffer.alloc(0), 'text/plain', undefined));
    const large = failure(() =>
      readPayloadUpdate(Buffer.alloc(MAX_SECRET_BYTES + 1), 'text/plain', undefined),
    );
    const gzip = failure(() =>
      readPayloadUpdate(Buffer.from('x'), 'application/octet-stream', 'gzip').decode(),
    );

    // Assess
    expect(empty).toEqual({
      status: 400,
      message: 'Secret update issue seen - No data supplied to process..',
    });
    expect(large).toEqual({
      status: 413,
      message: 'Secret update issue seen - Provided information too large to process.',
    });
    expect(gzip.status).toBe(400);
  });
});

describe('metadata bodies', () => {
  test('keys are made lower-case, as Python re-inserts them', () => {
    // Act
    const metadata = readMetadata(stripStrings({ metadata: { Geo: ' eu ', a: '2', A: '1', '123': 'n' } }));

    // Assess
    expect(Object.fromEntries(metadata)).toEqual({ geo: 'eu', a: '1', '123': 'n' });
  });

  test('a key named __proto__ is kept as any other URL-safe key', () => {
    // Prepare: JSON.parse makes "__proto__" an own member, as a request body has it.
    const body: unknown = JSON.parse('{"metadata":{"__proto__":" v ","a":"b"}}');

    // Act
    const metadata = readMetadata(stripStrings(body));
    const entry = readMetadatum(stripStrings(JSON.parse('{"key":"__proto__","value":"v"}')));

    // Assess
    expect([...metadata]).toEqual([
      ['__proto__', 'v'],
      ['a', 'b'],
    ]);
    expect(entry).toEqual({ key: '__proto__', value: 'v' });
  });

  test.each([
    [
      {},
      "Provided object does not match schema 'SecretMetadata': 'metadata' is a required property. Invalid property: 'metadata'",
    ],
    [
      { metadata: [] },
      "Provided object does not match schema 'SecretMetadata': [] is not of type 'object'. Invalid property: 'metadata'",
    ],
    [{ metadata: { 'a b': 'x' } }, 'Invalid Key. Key must be URL safe.'],
    [{ metadata: { a: 1 } }, 'Invalid Metadata. Keys and Values must be Strings.'],
  ])('%j is a 400: %s', (body, message) => {
    expect(failure(() => readMetadata(body))).toEqual({ status: 400, message });
  });

  test('a metadatum is exactly a key and a value', () => {
    // Act
    const entry = readMetadatum({ key: 'Owner', value: 'ada' });
    const missing = failure(() => readMetadatum({ key: 'k' }));
    const extra = failure(() => readMetadatum({ key: 'k', value: 'v', x: 1 }));
    const unsafe = failure(() => readMetadatum({ key: 'k/1', value: 'v' }));

    // Assess
    expect(entry).toEqual({ key: 'owner', value: 'ada' });
    expect(missing.message).toBe(
      "Provided object does not match schema 'SecretMetadatum': 'value' is a required property. Invalid property: 'value'",
    );
    expect(extra.message).toBe(
      "Provided object does not match schema 'SecretMetadatum': Additional properties are not allowed ('x' was unexpected). Invalid property: 'None'",
    );
    expect(unsafe.message).toBe('Invalid Key. Key must be URL safe.');
  });
});

describe('Accept', () => {
  test.each([
    [undefined, true],
    ['', true],
    ['application/json', true],
    ['*/*', true],
    ['application/json, text/plain', true],
    ['text/plain', false],
    ['application/octet-stream', false],
    ['text/plain, */*', false],
  ])('GET /v1/secrets/{id} with Accept %j answers with the metadata: %s', (accept, expected) => {
    expect(wantsMetadata(accept)).toBe(expected);
  });

  test.each([
    [undefined, 'text/plain', true, 'application/octet-stream'],
    ['*/*', 'text/plain', true, 'text/plain'],
    ['*/*', 'application/pkcs8', false, 'application/pkcs8'],
    ['text/plain', 'application/octet-stream', true, 'text/plain'],
    ['text/plain', 'application/octet-stream', false, undefined],
    ['application/octet-stream', 'text/plain', true, 'application/octet-stream'],
    ['text/plain;charset=utf-8', 'text/plain', true, 'text/plain'],
    ['text/plain; charset=latin1', 'text/plain', true, undefined],
    ['application/json', 'text/plain', true, undefined],
    ['i/m', 'text/plain', true, undefined],
    ['text/plain;q=0.5, application/octet-stream', 'text/plain', true, 'application/octet-stream'],
    ['application/json, text/*', 'application/octet-stream', true, 'text/plain'],
    ['text/plain;q=0', 'text/plain', true, undefined],
  ])('Accept %j of a %s payload (UTF-8: %s) gives %j', (accept, stored, utf8, expected) => {
    expect(choosePayloadType(accept, stored as 'text/plain', utf8)).toBe(expected);
  });
});
