import {
  v1SecretListEntrySchema,
  v1SecretSchema,
  type V1ContentType,
  type V1SecretListEntry,
  type V1SecretRecord,
} from '../model';
import { INDEX, keys, v1SecretIndexAttributes } from './keys';
import type { Table } from './table';

/**
 * Secrets of the v1 (Barbican-compatible) API in the single table, under their workspace's
 * partition. Every write is conditional: creation on absence, changes on the version read, a
 * delete on the secret being there and not expired, so concurrent writers never overwrite each
 * other unseen. Failed conditions surface as the table's `ConditionFailedError`.
 */
export class V1SecretStore {
  constructor(private readonly table: Table) {}

  async create(secret: V1SecretRecord): Promise<void> {
    await this.table.putIf(toItem(secret), 'attribute_not_exists(pk)');
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

  /** Deletes a secret that exists and has not expired by `now` (an expired one is gone already). */
  async delete(workspaceId: string, secretId: string, now: string): Promise<void> {
    await this.table.deleteIf(
      keys.v1Secret(workspaceId, secretId),
      'attribute_exists(pk) AND (attribute_not_exists(expiration) OR expiration > :now)',
      { ':now': now },
    );
  }

  /**
   * Every list entry of a workspace, in creation order, from the list index alone: one Query
   * (more only past 1 MB of entries), no payload read.
   */
  async listEntries(workspaceId: string): Promise<V1SecretListEntry[]> {
    const index = INDEX.v1SecretsByWorkspace;
    const items = await this.table.queryAll({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.pk },
      ExpressionAttributeValues: { ':pk': `WS#${workspaceId}` },
    });
    return items.map((item) => ({ ...v1SecretListEntrySchema.parse(item), id: String(item[index.sk]) }));
  }
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
