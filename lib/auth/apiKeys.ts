import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '../model';

/**
 * API keys look like `asec.<userId>.<keyId>.<secret>`. The user and key ids let one request read
 * the key record and the caller's membership together; only the 256-bit secret authenticates,
 * and only its SHA-256 is stored. The `asec.` prefix lets secret scanners recognise a leaked key.
 */
const PREFIX = 'asec';
const KEY_PATTERN = /^asec\.([0-9a-f-]{36})\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  readonly userId: string;
  readonly keyId: string;
  readonly secret: string;
}

export interface IssuedApiKey {
  /** The key to hand to the user once; it is not stored. */
  readonly apiKey: string;
  readonly record: ApiKeyRecord;
}

export function issueApiKey(userId: string, email: string, now: Date): IssuedApiKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return {
    apiKey: `${PREFIX}.${userId}.${keyId}.${secret}`,
    record: { userId, keyId, secretHash: hashSecret(secret), email, createdAt: now.toISOString() },
  };
}

export function parseApiKey(apiKey: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(apiKey);
  if (!match) return undefined;
  const [, userId, keyId, secret] = match;
  if (userId === undefined || keyId === undefined || secret === undefined) return undefined;
  return { userId, keyId, secret };
}

/** Constant-time comparison of the presented secret with the stored hash. */
export function secretMatches(presented: string, record: ApiKeyRecord): boolean {
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(presented), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
