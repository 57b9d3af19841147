import type { SealBinding } from '../crypto/envelope';
import { ConflictError, NotAcceptableError, NotFoundError } from '../errors';
import { isId, newId } from '../ids';
import type { Membership, V1SecretListEntry, V1SecretRecord } from '../model';
import { withOptimisticRetry } from '../store/optimisticRetry';
import { ConditionFailedError } from '../store/ports';
import type { Services } from '../services';
import type { NewSecret, PayloadUpdate } from './input';
import { MAX_METADATA_ENTRIES, tooLarge } from './input';
import { formatStoredTime, instantFromDate } from './isoTime';
import { applyListQuery, isPlainListing, type ListQuery } from './listQuery';
import { choosePayloadType, isUtf8, payloadContentType } from './mediaTypes';

/** Barbican's own wording (secretmeta.py, _secret_metadata_not_found). */
const METADATUM_NOT_FOUND = 'Not Found. Sorry but your secret metadata is in another castle.';

/**
 * The v1 (Barbican-compatible) secrets: create (with or without a payload), list, read, give a
 * payload once, delete, and user metadata. A secret belongs to the caller's workspace (Barbican's
 * project); any other workspace's secret, and an expired one, is simply not found.
 */

type Deps = Pick<Services, 'v1Secrets' | 'envelope'>;

/** What a payload is sealed to: purpose, tenant and workspace (KMS context), the secret itself (AES-GCM). */
export function v1SecretBinding(
  secret: Pick<V1SecretRecord, 'tenantId' | 'workspaceId' | 'id'>,
): SealBinding {
  return {
    context: { purpose: 'barbican-secret', tenant: secret.tenantId, workspace: secret.workspaceId },
    recordId: `v1-secret/${secret.id}`,
  };
}

/** Creates a secret: its payload (if any) is sealed before the one transaction that stores and counts it. */
export async function createV1Secret(
  deps: Deps,
  membership: Membership,
  input: NewSecret,
  now: Date = new Date(),
): Promise<V1SecretRecord> {
  const timestamp = now.toISOString();
  const secret: V1SecretRecord = {
    id: newId(now.getTime()),
    tenantId: membership.tenantId,
    workspaceId: membership.workspaceId,
    name: input.name,
    secretType: input.secretType,
    algorithm: input.algorithm,
    bitLength: input.bitLength,
    mode: input.mode,
    expiration: input.expiration === null ? null : formatStoredTime(input.expiration),
    creatorId: membership.userId,
    contentType: input.payload?.contentType ?? null,
    sealedPayload: null,
    metadata: [],
    version: 1,
    createdAt: timestamp,
    updatedAt: timestamp,
  };
  if (input.payload) secret.sealedPayload = await seal(deps, secret, input.payload.bytes);
  return deps.v1Secrets.create(secret);
}

/**
 * One page of the workspace's secrets and how many match in all; the list never reads a payload.
 *
 * The plain listing (no filter, creation order) of a workspace none of whose secrets has an
 * expiration is exactly the workspace's counted list: the total is its counter and the page one
 * short Query of the list index from the block holding the offset, so it costs the same in a
 * workspace of 100 secrets and of 1,000,000. Anything else needs every entry: no counter knows
 * how many secrets match a LIKE pattern or a date, nor which have expired by now (an expired
 * secret stays stored, and counted, but is no longer listed). Those lists walk the whole list
 * index, which projects every field a list shows, and apply the filters, the expiry cut and the
 * order to its entries.
 */
export async function listV1Secrets(
  deps: Deps,
  membership: Membership,
  query: ListQuery,
  now: Date = new Date(),
): Promise<{ secrets: V1SecretListEntry[]; total: number }> {
  const { offset, limit } = query.paging;
  if (isPlainListing(query)) {
    const counts = await deps.v1Secrets.listCounts(membership.workspaceId);
    if (counts.expiring === 0) {
      const total = counts.all;
      const secrets =
        offset < BigInt(total)
          ? await deps.v1Secrets.listPage(membership.workspaceId, Number(offset), limit)
          : [];
      return { secrets, total };
    }
  }
  const entries = await deps.v1Secrets.listEntries(membership.workspaceId);
  const matching = applyListQuery(entries, query, instantFromDate(now));
  const secrets =
    offset < BigInt(matching.length) ? matching.slice(Number(offset), Number(offset) + limit) : [];
  return { secrets, total: matching.length };
}

/** A secret of the caller's workspace that has not expired. */
export async function getV1Secret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  now: Date = new Date(),
): Promise<V1SecretRecord> {
  // Barbican: a malformed id is "invalid", a well-formed one that is not there is "in another castle".
  if (!isId(secretId)) throw new NotFoundError('Not Found. Provided secret id is invalid.');
  const secret = await deps.v1Secrets.get(membership.workspaceId, secretId);
  if (!secret || isExpired(secret, now)) {
    throw new NotFoundError('Not Found. Sorry but your secret is in another castle.');
  }
  return secret;
}

/**
 * A secret's payload in the media type the Accept header asks for (see `choosePayloadType`):
 * 406 for a type it cannot be given in, 404 for a secret that has no payload (yet).
 */
export async function getV1Payload(
  deps: Deps,
  membership: Membership,
  secretId: string,
  accept: string | undefined,
): Promise<{ contentType: string; bytes: Buffer }> {
  // A type no payload could be given in is refused first, as Barbican's framework does.
  if (choosePayloadType(accept, 'application/octet-stream', true) === undefined) throw notAcceptable(accept);
  const secret = await getV1Secret(deps, membership, secretId);
  if (secret.sealedPayload === null || secret.contentType === null) {
    throw new NotFoundError('Not Found. Sorry but your secret has no payload.');
  }
  const opened = await deps.envelope.open(secret.sealedPayload, v1SecretBinding(secret));
  if (typeof opened !== 'string') throw new Error('a sealed payload is not base64 text');
  const bytes = Buffer.from(opened, 'base64');
  const chosen = choosePayloadType(accept, secret.contentType, isUtf8(bytes));
  if (chosen === undefined) throw notAcceptable(accept);
  return { contentType: payloadContentType(chosen), bytes };
}

function notAcceptable(accept: string | undefined): NotAcceptableError {
  return new NotAcceptableError(`Secret Accept of '${accept ?? ''}' not supported`);
}

/**
 * Gives a secret created without a payload its payload (Barbican's PUT): once only, 409 after.
 * The write is conditional on there being no payload yet, so of two simultaneous PUTs one wins.
 */
export async function putV1Payload(
  deps: Deps,
  membership: Membership,
  secretId: string,
  given: PayloadUpdate,
  now: () => Date = () => new Date(),
): Promise<void> {
  return withOptimisticRetry('secret', async () => {
    const secret = await getV1Secret(deps, membership, secretId, now());
    if (secret.sealedPayload !== null) throw new ConflictError('Secret already has data, cannot modify it.');
    const sealedPayload = await seal(deps, secret, given.decode());
    // If another writer comes first, the next round's read decides: its payload (409) or its absence (404).
    await deps.v1Secrets.setPayload(secret, {
      sealedPayload,
      contentType: given.contentType,
      updatedAt: now().toISOString(),
    });
  });
}

/** Deletes a secret of the caller's workspace; an expired or absent one is not found. */
export async function deleteV1Secret(
  deps: Deps,
  membership: Membership,
  secretId: string,
  now: Date = new Date(),
): Promise<void> {
  if (!isId(secretId)) throw new NotFoundError('Not Found. Provided secret id is invalid.');
  try {
    await deps.v1Secrets.delete(membership.workspaceId, secretId, formatStoredTime(instantFromDate(now)));
  } catch (error) {
    if (error instanceof ConditionFailedError) {
      throw new NotFoundError('Not Found. Sorry but your secret is in another castle.');
    }
    throw error;
  }
}

/** The user metadata of a secret. */
export async function getV1Metadata(
  deps: Deps,
  membership: Membership,
  secretId: string,
): Promise<V1SecretRecord['metadata']> {
  return (await getV1Secret(deps, membership, secretId)).metadata;
}

/** PUT …/metadata: the given metadata replaces all of it. */
export function replaceV1Metadata(
  deps: Deps,
  membership: Membership,
  secretId: string,
  metadata: ReadonlyMap<string, string>,
): Promise<V1SecretRecord['metadata']> {
  const entries = [...metadata].map(([key, value]) => ({ key, value }));
  return changeMetadata(deps, membership, secretId, () => entries);
}

/** POST …/metadata: adds one key; 409 when the secret has it already. */
export function addV1Metadatum(
  deps: Deps,
  membership: Membership,
  secretId: string,
  entry: { key: string; value: string },
): Promise<V1SecretRecord['metadata']> {
  return changeMetadata(deps, membership, secretId, (current) => {
    if (current.some(({ key }) => key === entry.key)) {
      throw new ConflictError('Conflict. Key in request is already in the secret metadata');
    }
    return [...current, entry];
  });
}

/**
 * PUT …/metadata/{key}: changes the value of a key the secret has (404 otherwise). The key in the
 * body must be the key in the URL (409 otherwise); the URL's key is matched as given.
 */
export function updateV1Metadatum(
  deps: Deps,
  membership: Membership,
  secretId: string,
  pathKey: string,
  entry: { key: string; value: string },
): Promise<V1SecretRecord['metadata']> {
  return changeMetadata(deps, membership, secretId, (current) => {
    if (!current.some(({ key }) => key === pathKey)) throw new NotFoundError(METADATUM_NOT_FOUND);
    if (entry.key !== pathKey) {
      throw new ConflictError('Key in request data does not match key in the request url.');
    }
    return current.map((item) => (item.key === pathKey ? entry : item));
  });
}

/** One key of the metadata (404 when the secret does not have it). */
export async function getV1Metadatum(
  deps: Deps,
  membership: Membership,
  secretId: string,
  key: string,
): Promise<{ key: string; value: string }> {
  const entry = (await getV1Metadata(deps, membership, secretId)).find((item) => item.key === key);
  if (!entry) throw new NotFoundError(METADATUM_NOT_FOUND);
  return entry;
}

/** DELETE …/metadata/{key}: like Barbican, 204 whether or not the secret had the key. */
export async function deleteV1Metadatum(
  deps: Deps,
  membership: Membership,
  secretId: string,
  key: string,
): Promise<void> {
  await changeMetadata(deps, membership, secretId, (current) => current.filter((item) => item.key !== key));
}

/**
 * Applies a change to the metadata with a write conditional on the version read; a change that
 * loses a race is re-applied to the metadata as it is then, and answers 409 only if it keeps losing.
 */
async function changeMetadata(
  deps: Deps,
  membership: Membership,
  secretId: string,
  change: (current: V1SecretRecord['metadata']) => V1SecretRecord['metadata'],
): Promise<V1SecretRecord['metadata']> {
  return withOptimisticRetry('secret', async () => {
    const secret = await getV1Secret(deps, membership, secretId);
    const next = change(secret.metadata);
    if (next.length > MAX_METADATA_ENTRIES) throw tooLarge();
    if (sameMetadata(next, secret.metadata)) return next;
    await deps.v1Secrets.setMetadata(secret, next);
    return next;
  });
}

function sameMetadata(a: V1SecretRecord['metadata'], b: V1SecretRecord['metadata']): boolean {
  return (
    a.length === b.length &&
    a.every((item, index) => {
      const other = b[index];
      return other !== undefined && item.key === other.key && item.value === other.value;
    })
  );
}

function isExpired(secret: V1SecretRecord, now: Date): boolean {
  return secret.expiration !== null && secret.expiration <= formatStoredTime(instantFromDate(now));
}

function seal(deps: Deps, secret: V1SecretRecord, bytes: Buffer): Promise<string> {
  return deps.envelope.seal(bytes.toString('base64'), v1SecretBinding(secret));
}
