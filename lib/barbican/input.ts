import { BadRequestError, PayloadTooLargeError } from '../errors';
import type { V1ContentType } from '../model';
import { Base64Error, pyB64Decode } from './base64';
import { parseIsoTime } from './isoTime';
import {
  encodingAllowed,
  normalizeContentType,
  SUPPORTED_CONTENT_TYPES,
  supportedEncodingsText,
  isUtf8,
} from './mediaTypes';
import { pyRepr, pyStrip } from './python';

/**
 * Request bodies of the v1 API, checked the way Barbican's validators check them
 * (barbican/common/validators.py: NewSecretValidator, NewSecretMetadataValidator,
 * NewSecretMetadatumValidator): the same JSON schema, the same extra rules in the same order, and
 * the same messages, so that a client sees Barbican's 400s (and its 413 for an oversized payload).
 */

/** Barbican's `max_allowed_secret_in_bytes`. */
export const MAX_SECRET_BYTES = 20_000;
/** Barbican's `max_allowed_request_size_in_bytes`. */
export const MAX_REQUEST_BYTES = 25_000;
/** Barbican's columns: `VARCHAR(255)` for names, metadata keys and values. */
const MAX_FIELD = 255;
/**
 * Barbican has no count limit on user metadata (it lives in its own table); here it lives on the
 * secret's item, which DynamoDB caps at 400 KB, so a secret holds at most this many entries.
 */
export const MAX_METADATA_ENTRIES = 100;

export const SECRET_TYPES = [
  'symmetric',
  'passphrase',
  'private',
  'public',
  'certificate',
  'opaque',
] as const;

const URL_SAFE_KEY = /^[A-Za-z0-9_-]*$/;

export interface NewSecret {
  readonly name: string | null;
  readonly secretType: string;
  readonly algorithm: string | null;
  readonly bitLength: number | null;
  readonly mode: string | null;
  /** Microseconds since the epoch. */
  readonly expiration: bigint | null;
  readonly payload: { readonly bytes: Buffer; readonly contentType: V1ContentType } | null;
}

/** `load_body`'s `strip_whitespace`: every string in the document, at any depth, is stripped. */
export function stripStrings(value: unknown): unknown {
  if (typeof value === 'string') return pyStrip(value);
  if (Array.isArray(value)) return value.map(stripStrings);
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripStrings(item)]));
  return value;
}

/** A POST /v1/secrets body, as NewSecretValidator and then `models.Secret` read it. */
export function readNewSecret(body: unknown, now: bigint): NewSecret {
  const invalid = schemaError('Secret');
  if (!isObject(body)) throw invalid(`${pyRepr(body)} is not of type 'object'`, 'None');
  checkString(body, 'name', { nullable: true, maxLength: MAX_FIELD }, invalid);
  checkString(body, 'algorithm', { maxLength: MAX_FIELD }, invalid);
  checkString(body, 'mode', { maxLength: MAX_FIELD }, invalid);
  if ('bit_length' in body) {
    const bits = body.bit_length;
    if (typeof bits !== 'number' || !Number.isInteger(bits)) {
      throw invalid(`${pyRepr(bits)} is not of type 'integer'`, 'bit_length');
    }
    if (bits < 1) throw invalid(`${pyRepr(bits)} is less than the minimum of 1`, 'bit_length');
    if (bits > 32767) throw invalid(`${pyRepr(bits)} is greater than the maximum of 32767`, 'bit_length');
  }
  checkString(body, 'expiration', { maxLength: MAX_FIELD }, invalid);
  checkString(body, 'payload', {}, invalid);
  checkString(body, 'secret_type', { maxLength: 80, oneOf: SECRET_TYPES }, invalid);
  checkString(body, 'payload_content_type', { nullable: true, maxLength: MAX_FIELD }, invalid);
  checkString(body, 'payload_content_encoding', { maxLength: MAX_FIELD, oneOf: ['base64'] }, invalid);
  if ('transport_key_needed' in body && !['true', 'false'].includes(body.transport_key_needed as string)) {
    throw invalid(
      `${pyRepr(body.transport_key_needed)} is not one of ['true', 'false']`,
      'transport_key_needed',
    );
  }
  checkString(body, 'transport_key_id', {}, invalid);

  const expiration = readExpiration(body.expiration, now, invalid);
  const contentType = body.payload_content_type as string | null | undefined;
  let payload: NewSecret['payload'] = null;
  if ('payload' in body) {
    const encoding = body.payload_content_encoding as string | undefined;
    if (contentType === undefined || contentType === null) {
      throw invalid(
        "If 'payload' is supplied, 'payload_content_type' must also be supplied.",
        'payload_content_type',
      );
    }
    const normalized = normalizeContentType(contentType);
    if (normalized === undefined) {
      throw invalid(
        `payload_content_type is not one of ${pyRepr([...SUPPORTED_CONTENT_TYPES])}`,
        'payload_content_type',
      );
    }
    if (!encodingAllowed(normalized, encoding)) {
      throw invalid(
        `payload_content_encoding is not one of ${supportedEncodingsText(normalized)}`,
        'payload_content_encoding',
      );
    }
    const text = body.payload as string;
    if (Buffer.byteLength(text) > MAX_SECRET_BYTES) throw tooLarge();
    if (!text) throw invalid("If 'payload' specified, must be non empty", 'payload');
    payload = { bytes: decodePayload(text, encoding, invalid), contentType: normalized };
  } else if ('payload_content_type' in body) {
    throw invalid('payload must be provided when payload_content_type is specified', 'payload');
  }
  // There are no transport keys here: Barbican's default store plugin answers the same way.
  if (!payload && body.transport_key_needed === 'true') {
    throw new BadRequestError(
      'Secret creation issue seen - No plugin was found that could support your request.',
    );
  }
  if (payload && body.transport_key_id !== undefined) {
    throw new BadRequestError('Secret creation issue seen - Provided transport key was not found.');
  }
  return {
    name: typeof body.name === 'string' ? body.name : null,
    secretType: (body.secret_type as string | undefined) ?? 'opaque',
    algorithm: (body.algorithm as string | undefined) ?? null,
    bitLength: (body.bit_length as number | undefined) ?? null,
    mode: (body.mode as string | undefined) ?? null,
    expiration,
    payload,
  };
}

/** A PUT /v1/secrets/{id}/metadata body: `{"metadata": {key: value}}`, keys made lower-case. */
export function readMetadata(body: unknown): Map<string, string> {
  const invalid = schemaError('SecretMetadata');
  if (!isObject(body)) throw invalid(`${pyRepr(body)} is not of type 'object'`, 'None');
  if (!('metadata' in body)) throw invalid("'metadata' is a required property", 'metadata');
  const given = body.metadata;
  if (!isObject(given)) throw invalid(`${pyRepr(given)} is not of type 'object'`, 'metadata');
  // Python's dict: re-inserting a lower-cased key moves it to the end and overwrites its twin.
  const metadata = new Map(Object.entries(given));
  for (const key of [...metadata.keys()]) {
    const value = metadata.get(key);
    if (!URL_SAFE_KEY.test(key)) throw invalidKey();
    if (typeof value !== 'string')
      throw new BadRequestError('Invalid Metadata. Keys and Values must be Strings.');
    // Barbican's columns count characters (code points), as Python's len() does.
    if ([...key].length > MAX_FIELD) throw invalid(`${pyRepr(key)} is too long`, 'metadata');
    if ([...value].length > MAX_FIELD) throw invalid(`${pyRepr(value)} is too long`, 'metadata');
    if (key !== key.toLowerCase() || !/[a-z]/.test(key)) {
      metadata.delete(key);
      metadata.set(key.toLowerCase(), value);
    }
  }
  if (metadata.size > MAX_METADATA_ENTRIES) throw tooLarge();
  return metadata as Map<string, string>;
}

/** A POST …/metadata or PUT …/metadata/{key} body: exactly `{"key", "value"}`, key made lower-case. */
export function readMetadatum(body: unknown): { key: string; value: string } {
  const invalid = schemaError('SecretMetadatum');
  if (!isObject(body)) throw invalid(`${pyRepr(body)} is not of type 'object'`, 'None');
  for (const property of ['key', 'value']) {
    if (!(property in body)) throw invalid(`${pyRepr(property)} is a required property`, property);
    checkString(body, property, { maxLength: MAX_FIELD }, invalid);
  }
  const unexpected = Object.keys(body).filter((property) => property !== 'key' && property !== 'value');
  if (unexpected.length > 0) {
    const names = unexpected.map((name) => pyRepr(name)).join(', ');
    throw invalid(
      `Additional properties are not allowed (${names} ${unexpected.length === 1 ? 'was' : 'were'} unexpected)`,
      'None',
    );
  }
  const key = body.key as string;
  if (!URL_SAFE_KEY.test(key)) throw invalidKey();
  return { key: key.toLowerCase(), value: body.value as string };
}

/** The body of PUT /v1/secrets/{id}, checked as Barbican's SecretController.on_put checks it. */
export interface PayloadUpdate {
  readonly contentType: 'text/plain' | 'application/octet-stream';
  /** The payload's bytes; runs after the secret is found to have none yet (Barbican's order). */
  readonly decode: () => Buffer;
}

/**
 * Barbican's order: an empty body is 400, one over `max_allowed_secret_in_bytes` 413; text is
 * stored as sent; octet-stream as sent, or base64-decoded with `Content-Encoding: base64`; any
 * other encoding is refused. (Barbican stores undecodable base64 and fails when it is read; here
 * it is refused up front.)
 */
export function readPayloadUpdate(
  bytes: Buffer,
  contentType: string | undefined,
  contentEncoding: string | undefined,
): PayloadUpdate {
  if (bytes.length === 0)
    throw new BadRequestError('Secret update issue seen - No data supplied to process..');
  if (bytes.length > MAX_SECRET_BYTES) {
    throw new PayloadTooLargeError('Secret update issue seen - Provided information too large to process.');
  }
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'text/plain') {
    // A text payload must be UTF-8, or it could never be given back as text/plain.
    if (!isUtf8(bytes)) throw new BadRequestError('Secret update issue seen - Problem decoding payload.');
    return { contentType: 'text/plain', decode: () => bytes };
  }
  const encoding = contentEncoding?.trim().toLowerCase();
  return {
    contentType: 'application/octet-stream',
    decode: () => {
      if (!encoding) return bytes;
      if (encoding !== 'base64') {
        throw new BadRequestError(
          "Secret update issue seen - Text-based binary secret payloads must specify a content-encoding of 'base64'.",
        );
      }
      return decodeBase64Payload(
        bytes,
        () => new BadRequestError('Secret update issue seen - Problem decoding payload.'),
      );
    },
  };
}

/** A payload is too big for Barbican (`LimitExceeded`, 413). */
export function tooLarge(): PayloadTooLargeError {
  return new PayloadTooLargeError('Provided information too large to process');
}

function invalidKey(): BadRequestError {
  return new BadRequestError('Invalid Key. Key must be URL safe.');
}

type Invalid = (reason: string, property: string) => BadRequestError;

/** Barbican's `InvalidObject`: the schema, jsonschema's reason, and the property at fault. */
function schemaError(schema: string): Invalid {
  return (reason, property) =>
    new BadRequestError(
      `Provided object does not match schema '${schema}': ${reason}. Invalid property: '${property}'`,
    );
}

function checkString(
  body: Record<string, unknown>,
  property: string,
  rules: { nullable?: boolean; maxLength?: number; oneOf?: readonly string[] },
  invalid: Invalid,
): void {
  if (!(property in body)) return;
  const value = body[property];
  if (value === null && rules.nullable) return;
  if (typeof value !== 'string') {
    throw invalid(
      `${pyRepr(value)} is not of type ${rules.nullable ? "'string', 'null'" : "'string'"}`,
      property,
    );
  }
  if (rules.maxLength !== undefined && [...value].length > rules.maxLength) {
    throw invalid(`${pyRepr(value)} is too long`, property);
  }
  if (rules.oneOf && !rules.oneOf.includes(value)) {
    throw invalid(`${pyRepr(value)} is not one of ${pyRepr([...rules.oneOf])}`, property);
  }
}

/** `_extract_expiration` and `_assert_expiration_is_valid`: a blank one is none; a past one is refused. */
function readExpiration(raw: unknown, now: bigint, invalid: Invalid): bigint | null {
  if (typeof raw !== 'string' || !pyStrip(raw)) return null;
  const instant = parseIsoTime(pyStrip(raw));
  if (instant === undefined) throw invalid("Invalid date for 'expiration'", 'expiration');
  if (instant <= now) throw invalid("'expiration' is before current time", 'expiration');
  return instant;
}

/** Text payloads are their UTF-8 bytes; binary ones arrive base64-encoded and are checked as Python decodes. */
function decodePayload(text: string, encoding: string | undefined, invalid: Invalid): Buffer {
  if (encoding !== 'base64') return Buffer.from(text, 'utf8');
  return decodeBase64Payload(text, () => invalid('Invalid payload for payload_content_encoding', 'payload'));
}

/**
 * A base64 payload decoded as Python decodes it, or `refused()` thrown: for text that is not
 * base64, and for text with no base64 in it (`!!!!`: Python's decoder drops characters outside
 * the alphabet), which would otherwise be stored as an empty payload, refused everywhere else.
 */
function decodeBase64Payload(encoded: string | Buffer, refused: () => BadRequestError): Buffer {
  let decoded: Buffer;
  try {
    decoded = pyB64Decode(encoded);
  } catch (error) {
    if (error instanceof Base64Error) throw refused();
    throw error;
  }
  if (decoded.length === 0) throw refused();
  return decoded;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
