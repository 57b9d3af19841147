import type { V1SecretListEntry } from '../model';
import { instantOf, pythonIsoFormat } from './isoTime';
import { v1Paths } from './urls';

/**
 * A secret's metadata as Barbican shows it, in a list and on GET /v1/secrets/{id}: the model's
 * `to_dict_fields` with the id turned into `secret_ref`, and `content_types` only once there is
 * a payload (`augment_fields_with_content_types`). Times are naive UTC in Python's isoformat.
 * Nothing else: python-barbicanclient builds its Secret objects from these keys and refuses others.
 */
export function secretFields(secret: V1SecretListEntry, baseUrl: string) {
  return {
    status: 'ACTIVE',
    secret_ref: `${baseUrl}${v1Paths.secret(secret.id)}`,
    name: secret.name,
    algorithm: secret.algorithm,
    bit_length: secret.bitLength,
    mode: secret.mode,
    secret_type: secret.secretType,
    ...(secret.contentType ? { content_types: { default: secret.contentType } } : {}),
    expiration: secret.expiration === null ? null : pythonIsoFormat(instantOf(secret.expiration)),
    created: pythonIsoFormat(instantOf(secret.createdAt)),
    updated: pythonIsoFormat(instantOf(secret.updatedAt)),
    creator_id: secret.creatorId,
  };
}

/** A metadata map in a stable order (Barbican's has none: it comes from a table). */
export function metadataDocument(
  metadata: ReadonlyArray<{ key: string; value: string }>,
): Record<string, string> {
  return Object.fromEntries(
    [...metadata]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map(({ key, value }) => [key, value]),
  );
}
