import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  canonicalContext,
  DecryptionError,
  type DataKey,
  type DataKeyProvider,
  type EncryptionContext,
} from './dataKeys';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Local mode's stand-in for KMS: a 256-bit master key in a file (created on first use, mode 0600)
 * wraps data keys with AES-256-GCM, the encryption context as additional data. It keeps KMS's
 * contract: a wrapped key opens only with the exact context it was made under.
 */
export class LocalDataKeyProvider implements DataKeyProvider {
  private readonly masterKey: Buffer;

  constructor(keyFile: string) {
    this.masterKey = loadOrCreateKey(keyFile);
  }

  // Synchronous work behind the provider's asynchronous interface (KMS is a network call).
  generateDataKey(context: EncryptionContext): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(canonicalContext(context)));
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return Promise.resolve({ plaintext, wrapped });
  }

  unwrapDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    try {
      const iv = wrapped.subarray(0, IV_BYTES);
      const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', this.masterKey, iv);
      decipher.setAAD(Buffer.from(canonicalContext(context)));
      decipher.setAuthTag(tag);
      return Promise.resolve(
        Buffer.concat([
          decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)),
          decipher.final(),
        ]),
      );
    } catch (error) {
      return Promise.reject(
        new DecryptionError('data key does not match its encryption context', { cause: error }),
      );
    }
  }
}

function loadOrCreateKey(keyFile: string): Buffer {
  if (!existsSync(keyFile)) {
    mkdirSync(dirname(keyFile), { recursive: true });
    // 'wx' so that two processes starting at once cannot both write a different key.
    try {
      writeFileSync(keyFile, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if (!(error instanceof Error && 'code' in error && error.code === 'EEXIST')) throw error;
    }
    chmodSync(keyFile, 0o600);
  }
  const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${keyFile} does not hold a base64 256-bit key`);
  return key;
}
