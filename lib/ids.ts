import { createHash, randomBytes } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Sorting ids sorts by
 * creation time with a random tiebreak, which is exactly the list order the API promises, so the
 * id can be the sort key. It is also a UUID, as Barbican clients expect of a secret's last segment.
 */
export function newId(now: number = Date.now()): string {
  return uuidV7(now, randomBytes(16));
}

/**
 * A UUIDv7 whose "random" bits come from `seed`: the same seed and time give the same id, for
 * records that a retried step must not make twice (an event derived from a stream record).
 */
export function idFromSeed(now: number, seed: string): string {
  return uuidV7(now, createHash('sha256').update(seed).digest().subarray(0, 16));
}

function uuidV7(now: number, bytes: Buffer): string {
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** True for a lower-case UUID, the only id shape this service issues. */
export function isId(value: string): boolean {
  return UUID_PATTERN.test(value);
}
