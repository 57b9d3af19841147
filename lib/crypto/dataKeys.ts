/** The encryption context KMS binds to a data key: every field must match again to unwrap it. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface DataKey {
  readonly plaintext: Buffer;
  /** The data key encrypted under the master key; safe to store beside the data. */
  readonly wrapped: Buffer;
}

/** The master-key side of envelope encryption: KMS in AWS, a local key file in local mode. */
export interface DataKeyProvider {
  generateDataKey(context: EncryptionContext): Promise<DataKey>;
  unwrapDataKey(wrapped: Buffer, context: EncryptionContext): Promise<Buffer>;
}

/** A stored ciphertext that does not open: tampered with, moved to another record, or the wrong key. */
export class DecryptionError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DecryptionError';
  }
}

/** Serialises a context deterministically, so the same context always gives the same bytes. */
export function canonicalContext(context: EncryptionContext): string {
  return JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
