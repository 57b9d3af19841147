import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalContext, DecryptionError, type DataKeyProvider, type EncryptionContext } from './dataKeys';

/**
 * What a sealed value is bound to. `context` goes to KMS with the data key (tenant and
 * workspace, so a data key serves one workspace); `recordId` is authenticated as AES-GCM
 * additional data, so a ciphertext copied onto another record of the same workspace fails too.
 */
export interface SealBinding {
  readonly context: EncryptionContext;
  readonly recordId: string;
}

export interface EnvelopeOptions {
  /** How long one plaintext data key keeps sealing new values (the AWS Encryption SDK's "max age"). */
  readonly dataKeyMaxAgeMs: number;
  /** Bound on cached keys, so a long-lived container serving many workspaces stays small. */
  readonly maxCachedKeys?: number;
  readonly now?: () => number;
}

const FORMAT = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface CachedKey {
  readonly plaintext: Buffer;
  readonly wrapped: Buffer;
  readonly createdAt: number;
}

/**
 * Envelope encryption with data-key caching. Sealing reuses one data key per encryption context
 * for `dataKeyMaxAgeMs`; opening caches unwrapped keys by (wrapped key, context). A warm
 * container therefore calls KMS about once per workspace and key period, never once per item.
 *
 * Sealed form: `v1.<wrapped data key>.<iv>.<ciphertext+tag>`, each part base64url.
 */
export class Envelope {
  private readonly sealingKeys = new Map<string, CachedKey>();
  private readonly openingKeys = new Map<string, CachedKey>();
  /**
   * Provider calls in flight, by cache key: a page of items opened concurrently on a cold
   * container waits for one unwrap instead of making one each.
   */
  private readonly pending = new Map<string, Promise<CachedKey>>();
  private readonly maxCachedKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly provider: DataKeyProvider,
    private readonly options: EnvelopeOptions,
  ) {
    this.maxCachedKeys = options.maxCachedKeys ?? 1000;
    this.now = options.now ?? Date.now;
  }

  async seal(value: unknown, binding: SealBinding): Promise<string> {
    const key = await this.sealingKey(binding.context);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(additionalData(binding));
    const body = Buffer.concat([
      cipher.update(JSON.stringify(value), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return [
      FORMAT,
      key.wrapped.toString('base64url'),
      iv.toString('base64url'),
      body.toString('base64url'),
    ].join('.');
  }

  async open(sealed: string, binding: SealBinding): Promise<unknown> {
    const [format, wrappedPart, ivPart, bodyPart] = sealed.split('.');
    if (format !== FORMAT || !wrappedPart || !ivPart || !bodyPart) {
      throw new DecryptionError('unknown ciphertext format');
    }
    const plaintextKey = await this.openingKey(Buffer.from(wrappedPart, 'base64url'), binding.context);
    const body = Buffer.from(bodyPart, 'base64url');
    try {
      const decipher = createDecipheriv('aes-256-gcm', plaintextKey, Buffer.from(ivPart, 'base64url'));
      decipher.setAAD(additionalData(binding));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const json = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return JSON.parse(json.toString('utf8'));
    } catch (error) {
      throw new DecryptionError('ciphertext does not belong to this record', { cause: error });
    }
  }

  private async sealingKey(context: EncryptionContext): Promise<CachedKey> {
    const cacheKey = canonicalContext(context);
    const cached = this.sealingKeys.get(cacheKey);
    if (cached && this.now() - cached.createdAt < this.options.dataKeyMaxAgeMs) return cached;
    return this.singleFlight(`seal|${cacheKey}`, async () => {
      const fresh = { ...(await this.provider.generateDataKey(context)), createdAt: this.now() };
      this.remember(this.sealingKeys, cacheKey, fresh);
      // The key we just made will be read back soon: let opening find it without a KMS call.
      this.remember(this.openingKeys, openingCacheKey(fresh.wrapped, context), fresh);
      return fresh;
    });
  }

  private async openingKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer> {
    // The context is part of the cache key: a wrapped key seen under one context must still be
    // checked by the provider when it turns up under another (a ciphertext moved across workspaces).
    const cacheKey = openingCacheKey(wrapped, context);
    const cached = this.openingKeys.get(cacheKey);
    if (cached) return cached.plaintext;
    const opened = await this.singleFlight(`open|${cacheKey}`, async () => {
      const plaintext = await this.provider.unwrapDataKey(wrapped, context);
      const key = { plaintext, wrapped, createdAt: this.now() };
      this.remember(this.openingKeys, cacheKey, key);
      return key;
    });
    return opened.plaintext;
  }

  /** Runs `load` once for concurrent callers with the same key; a failure is not remembered. */
  private singleFlight(key: string, load: () => Promise<CachedKey>): Promise<CachedKey> {
    const inFlight = this.pending.get(key);
    if (inFlight) return inFlight;
    const promise = load().finally(() => this.pending.delete(key));
    this.pending.set(key, promise);
    return promise;
  }

  private remember(cache: Map<string, CachedKey>, cacheKey: string, key: CachedKey): void {
    cache.delete(cacheKey);
    cache.set(cacheKey, key);
    // Maps iterate in insertion order, so the first entry is the least recently stored.
    while (cache.size > this.maxCachedKeys) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  }
}

function openingCacheKey(wrapped: Buffer, context: EncryptionContext): string {
  return `${wrapped.toString('base64url')}|${canonicalContext(context)}`;
}

function additionalData(binding: SealBinding): Buffer {
  return Buffer.from(`${canonicalContext(binding.context)}|${binding.recordId}`);
}
