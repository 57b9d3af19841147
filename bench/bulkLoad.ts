import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { v1SecretBinding } from '../lib/barbican/useCases';
import { newId } from '../lib/ids';
import type { SecretRecord, V1SecretRecord } from '../lib/model';
import { secretBinding } from '../lib/secrets/view';
import { bulkListItems } from '../lib/store/countedLists';
import { keys, v1SecretIndexAttributes, v1SecretListName } from '../lib/store/keys';
import { bulkSecretItems } from '../lib/store/secrets';
import type { Services } from '../lib/services';
import { since } from './stats';
import { inParallel } from './world';

/**
 * Large workspaces in seconds rather than the minutes their creates would take: secrets made as
 * the create use cases make them (credentials and payloads sealed by the real envelope), then
 * written straight to the table with every item their creates would have left (the secrets with
 * where they are counted, their counted lists' totals and blocks, auth-client usage), 25 per
 * BatchWriteItem. Into workspaces that hold no secrets yet.
 */

const BATCH = 25;
const CONCURRENCY = 4;
/** Creation times this far apart, ending now: ids (UUIDv7) then sort in creation order. */
const SPACING_MS = 10;

export interface Loaded<T> {
  readonly records: T[];
  /** The ids in list order (creation order). */
  readonly ids: string[];
  /** How many items were written (secrets and list bookkeeping). */
  readonly items: number;
  /** How long making (sealing) and writing them took. */
  readonly seconds: number;
}

export interface V2Owner {
  readonly tenantId: string;
  readonly workspaceId: string;
  /** Secrets alternate between these creators. */
  readonly userIds: readonly string[];
  readonly authClientId: string;
}

/** `count` oauth2 secrets in `owner`'s workspace, by its users in turn, on its auth-client. */
export async function loadSecrets(
  services: Services,
  owner: V2Owner,
  count: number,
): Promise<Loaded<SecretRecord>> {
  const start = performance.now();
  const records: SecretRecord[] = [];
  for (const [index, at] of creationTimes(count).entries()) {
    const secret: SecretRecord = {
      id: newId(at.getTime()),
      tenantId: owner.tenantId,
      workspaceId: owner.workspaceId,
      userId: owner.userIds[index % owner.userIds.length] ?? '',
      authClientId: owner.authClientId,
      authType: 'oauth2',
      name: `Secret ${index}`,
      state: 'ready',
      error: null,
      sealedCredentials: '',
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      refreshedAt: null,
      refreshError: null,
      refreshFailures: 0,
      nextAttemptAt: null,
      version: 1,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    // Token lengths as the local OAuth server (oidc-provider) issues them: 43-character opaque tokens.
    secret.sealedCredentials = await services.envelope.seal(
      { access_token: token(index, 'a'), refresh_token: token(index, 'r'), expires_in: 3600 },
      secretBinding(secret),
    );
    records.push(secret);
  }
  const items = bulkSecretItems(records, services.config.listBlockSize);
  await batchWrite(services, items);
  return { records, ids: sortedIds(records), items: items.length, seconds: since(start) / 1000 };
}

export interface V1Owner {
  readonly tenantId: string;
  readonly workspaceId: string;
  readonly creatorId: string;
}

/**
 * `count` v1 secrets with a 64-byte text payload and no expiration, as `POST /v1/secrets` with a
 * name, a payload and `payload_content_type: text/plain` makes them.
 */
export async function loadV1Secrets(
  services: Services,
  owner: V1Owner,
  count: number,
): Promise<Loaded<V1SecretRecord>> {
  const start = performance.now();
  const records: V1SecretRecord[] = [];
  for (const [index, at] of creationTimes(count).entries()) {
    const secret: V1SecretRecord = {
      id: newId(at.getTime()),
      tenantId: owner.tenantId,
      workspaceId: owner.workspaceId,
      name: `bench-${index}`,
      secretType: 'opaque',
      algorithm: null,
      bitLength: null,
      mode: null,
      expiration: null,
      creatorId: owner.creatorId,
      contentType: 'text/plain',
      sealedPayload: null,
      metadata: [],
      version: 1,
      createdAt: at.toISOString(),
      updatedAt: at.toISOString(),
    };
    const payload = Buffer.from(`payload-${index}-`.padEnd(64, 'x'));
    secret.sealedPayload = await services.envelope.seal(payload.toString('base64'), v1SecretBinding(secret));
    records.push(secret);
  }
  const items = bulkV1SecretItems(records, services.config.listBlockSize);
  await batchWrite(services, items);
  return { records, ids: sortedIds(records), items: items.length, seconds: since(start) / 1000 };
}

/**
 * The items new v1 secrets would leave: each secret, counted in its workspace's list, and that
 * list's total and blocks. Only for secrets without an expiration (which are in no other list).
 * The secret's item is V1SecretStore's shape (lib/store/v1Secrets.ts, toItem): attributes that
 * are null stay absent.
 */
export function bulkV1SecretItems(
  secrets: readonly V1SecretRecord[],
  listBlockSize: number,
): Array<Record<string, unknown>> {
  const members = new Map<string, string[]>();
  for (const secret of secrets) {
    if (secret.expiration !== null) throw new Error('bulk v1 loads are of secrets without an expiration');
    const list = v1SecretListName(secret.workspaceId);
    const ids = members.get(list) ?? [];
    ids.push(secret.id);
    members.set(list, ids);
  }
  const { items, blocksOf } = bulkListItems(members, listBlockSize);
  return [
    ...secrets.map((secret) => {
      const present = Object.fromEntries(
        Object.entries({ ...secret, listBlocks: blocksOf.get(secret.id) ?? {} }).filter(
          ([, value]) => value !== null && value !== undefined,
        ),
      );
      return {
        ...keys.v1Secret(secret.workspaceId, secret.id),
        entity: 'v1-secret',
        ...present,
        ...v1SecretIndexAttributes(secret),
      };
    }),
    ...items,
  ];
}

/** Writes `items`, BATCH per BatchWriteItem, CONCURRENCY batches at a time, until none is left unprocessed. */
export async function batchWrite(
  services: Services,
  items: readonly Record<string, unknown>[],
): Promise<void> {
  const batches: Array<Array<Record<string, unknown>>> = [];
  for (let index = 0; index < items.length; index += BATCH) batches.push(items.slice(index, index + BATCH));
  const { client, name } = services.table;
  await inParallel(batches, CONCURRENCY, async (batch) => {
    let pending = batch.map((item) => ({ PutRequest: { Item: item } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 8) throw new Error('BatchWriteItem kept items unprocessed');
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const result = await client.send(new BatchWriteCommand({ RequestItems: { [name]: pending } }));
      pending = (result.UnprocessedItems?.[name] ?? []) as typeof pending;
    }
  });
}

function creationTimes(count: number): Date[] {
  const start = Date.now() - count * SPACING_MS;
  return Array.from({ length: count }, (_, index) => new Date(start + index * SPACING_MS));
}

const sortedIds = (records: readonly { id: string }[]) => records.map((record) => record.id).sort();

const token = (index: number, kind: string) => `${kind}${String(index).padStart(8, '0')}`.padEnd(43, 'x');
