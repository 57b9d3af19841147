import {
  v1SecretListEntrySchema,
  v1SecretSchema,
  type V1ContentType,
  type V1SecretListEntry,
  type V1SecretRecord,
} from '../model';
import { CountedLists } from './countedLists';
import {
  INDEX,
  keys,
  v1ExpiringListName,
  v1SecretIndexAttributes,
  v1SecretListName,
  v1SecretListNames,
} from './keys';
import { countInto, ListsMovedError, withListRetry } from './listWrites';
import { createGuardOps } from './createGuard';
import { ClaimLostError, type V1ListCounts, type V1SecretRepository } from './ports';
import { ConditionFailedError, TransactionConditionFailedError, type Table } from './table';

/** How many v1 secrets a workspace has, and how many of them have an expiration (exact). */
export type { V1ListCounts };

/**
 * Secrets of the v1 (Barbican-compatible) API in the single table, under their workspace's
 * partition. Every write is conditional: creation on absence, changes on the version read, a
 * delete on the version read and the secret not being expired, so concurrent writers never
 * overwrite each other unseen. Failed conditions surface as the table's `ConditionFailedError`.
 *
 * Creating and deleting a secret is one transaction with the counted lists it belongs to (the
 * workspace's, and the workspace's expiring secrets if it has an expiration): exact totals and
 * cheap offsets for the plain list, whatever the workspace's size.
 */
export class V1SecretStore implements V1SecretRepository {
  private readonly lists: CountedLists;

  constructor(
    private readonly table: Table,
    listBlockSize: number,
  ) {
    this.lists = new CountedLists(table, listBlockSize);
  }

  /** Creates a secret (throws `ConditionFailedError` if its id is taken); returns it as stored. */
  async create(secret: V1SecretRecord): Promise<V1SecretRecord> {
    return withListRetry(async () => {
      const { ops, listBlocks } = await countInto(this.lists, v1SecretListNames(secret), secret.id);
      const created: V1SecretRecord = { ...secret, listBlocks };
      const guard = createGuardOps(keys.v1Secret(secret.workspaceId, secret.id));
      try {
        await this.table.transact([
          { put: { Item: toItem(created), ConditionExpression: 'attribute_not_exists(pk)' } },
          ...guard,
          ...ops,
        ]);
      } catch (error) {
        if (!(error instanceof TransactionConditionFailedError)) throw error;
        if (error.failed.includes(0)) throw new ConditionFailedError({ cause: error });
        if (error.failed.some((index) => index <= guard.length)) throw new ClaimLostError({ cause: error });
        throw new ListsMovedError();
      }
      return created;
    });
  }

  get(workspaceId: string, secretId: string): Promise<V1SecretRecord | undefined> {
    return this.table.get(keys.v1Secret(workspaceId, secretId), v1SecretSchema, {
      keyOf: (secret) => keys.v1Secret(secret.workspaceId, secret.id),
    });
  }

  /**
   * Gives a payload-less secret its payload, once: conditional on the version read and on there
   * being no payload yet, so two simultaneous PUTs cannot both succeed.
   */
  async setPayload(
    secret: V1SecretRecord,
    change: { sealedPayload: string; contentType: V1ContentType; updatedAt: string },
  ): Promise<void> {
    await this.table.updateIf(
      keys.v1Secret(secret.workspaceId, secret.id),
      { set: { ...change, version: secret.version + 1 } },
      'version = :expected AND attribute_not_exists(sealedPayload)',
      { ':expected': secret.version },
    );
  }

  /** Replaces the user metadata if the secret still has the version read. */
  async setMetadata(secret: V1SecretRecord, metadata: V1SecretRecord['metadata']): Promise<void> {
    await this.table.updateIf(
      keys.v1Secret(secret.workspaceId, secret.id),
      { set: { metadata, version: secret.version + 1 } },
      'version = :expected',
      { ':expected': secret.version },
    );
  }

  /**
   * Deletes a secret that exists and has not expired by `now` (an expired one is gone already,
   * though still stored); throws `ConditionFailedError` otherwise.
   */
  async delete(workspaceId: string, secretId: string, now: string): Promise<void> {
    await withListRetry(async () => {
      const current = await this.get(workspaceId, secretId);
      if (!current || (current.expiration !== null && current.expiration <= now)) {
        throw new ConditionFailedError();
      }
      try {
        await this.table.transact([
          {
            delete: {
              Key: keys.v1Secret(workspaceId, secretId),
              ConditionExpression:
                'version = :expected AND (attribute_not_exists(expiration) OR expiration > :now)',
              ExpressionAttributeValues: { ':expected': current.version, ':now': now },
            },
          },
          // A secret written before lists were counted was never counted in.
          ...Object.entries(current.listBlocks ?? {}).flatMap(([list, blockStart]) =>
            this.lists.remove(list, blockStart),
          ),
        ]);
      } catch (error) {
        // Changed or deleted since the read: read again (withListRetry), and find out which.
        if (error instanceof TransactionConditionFailedError) throw new ListsMovedError();
        throw error;
      }
    });
  }

  /** The workspace's counts, from the two lists' totals: one small consistent read. */
  async listCounts(workspaceId: string): Promise<V1ListCounts> {
    const [all, expiring] = [v1SecretListName(workspaceId), v1ExpiringListName(workspaceId)];
    const totals = await this.lists.totals([all, expiring]);
    return { all: totals.get(all)?.count ?? 0, expiring: totals.get(expiring)?.count ?? 0 };
  }

  /**
   * The entries at `offset` to `offset + limit` of the workspace's list in creation order, with
   * no filter and no expiry cut. The block counts say where the offset lies (one small entry per
   * block of secrets skipped, nothing at offset 0); the index is read from that block's start,
   * at most one block's worth of entries before the page. The index is eventually consistent: a
   * secret deleted a moment ago may still be there.
   */
  async listPage(workspaceId: string, offset: number, limit: number): Promise<V1SecretListEntry[]> {
    const from =
      offset === 0
        ? { blockStart: '', skip: 0 }
        : await this.lists.locate(v1SecretListName(workspaceId), offset);
    if (!from) return [];
    const index = INDEX.v1SecretsByWorkspace;
    const wanted = from.skip + limit;
    const items = await this.table.queryAll(
      {
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk AND #sk >= :from',
        ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
        // The first block starts at '', which no key condition takes: from the first id, then.
        ExpressionAttributeValues: {
          ':pk': `WS#${workspaceId}`,
          ':from': from.blockStart || BEFORE_EVERY_ID,
        },
        Limit: wanted,
      },
      wanted,
    );
    return items.slice(from.skip, wanted).map(toListEntry);
  }

  /**
   * Every list entry of a workspace, in creation order, from the list index alone (no payload
   * read): what a filtered list, or one that must leave expired secrets out, needs.
   */
  async listEntries(workspaceId: string): Promise<V1SecretListEntry[]> {
    const index = INDEX.v1SecretsByWorkspace;
    const items = await this.table.queryAll({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.pk },
      ExpressionAttributeValues: { ':pk': `WS#${workspaceId}` },
    });
    return items.map(toListEntry);
  }
}

/** Sorts at or before every secret id (ids are lower-case hex and dashes). */
const BEFORE_EVERY_ID = '0';

function toListEntry(item: Record<string, unknown>): V1SecretListEntry {
  return { ...v1SecretListEntrySchema.parse(item), id: String(item[INDEX.v1SecretsByWorkspace.sk]) };
}

function toItem(secret: V1SecretRecord): Record<string, unknown> {
  // Absent rather than null: the conditions above test for absence, and the items stay small.
  const present = Object.fromEntries(Object.entries(secret).filter(([, value]) => value !== null));
  return {
    ...keys.v1Secret(secret.workspaceId, secret.id),
    entity: 'v1-secret',
    ...present,
    ...v1SecretIndexAttributes(secret),
  };
}
