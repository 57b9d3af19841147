import { secretSchema, type SecretRecord } from '../model';
import { INDEX, keys, secretIndexAttributes, secretListQuery, type Key, type SecretListFilter } from './keys';
import { logError } from '../http/log';
import { ConditionFailedError, keyString, MisplacedRecordError, parseKeyed, type Table } from './table';

export interface SecretPage {
  readonly secrets: SecretRecord[];
  readonly total: number;
}

/**
 * Auth-secrets in the single table. Every write is conditional: creation on absence, updates and
 * deletes on the version that was read, so concurrent writers never overwrite each other unseen.
 */
export class SecretStore {
  constructor(private readonly table: Table) {}

  async create(secret: SecretRecord): Promise<void> {
    await this.table.putIf(toItem(secret), 'attribute_not_exists(pk)');
  }

  get(workspaceId: string, secretId: string): Promise<SecretRecord | undefined> {
    return this.table.get(keys.secret(workspaceId, secretId), secretSchema, { keyOf: secretKeyOf });
  }

  /** Replaces a secret if it still has `expectedVersion`; throws `ConditionFailedError` otherwise. */
  async replace(secret: SecretRecord, expectedVersion: number): Promise<void> {
    await this.table.putIf(toItem(secret), 'attribute_exists(pk) AND version = :expected', {
      ':expected': expectedVersion,
    });
  }

  /**
   * Takes the refresh lease of an oauth2 secret unless another live one holds it. Returns the
   * secret as it is under the lease, or undefined when someone else holds it, the secret is
   * gone, or it is not an oauth2 secret.
   */
  async acquireLease(
    workspaceId: string,
    secretId: string,
    owner: string,
    now: number,
    durationMs: number,
  ): Promise<SecretRecord | undefined> {
    try {
      // Taking and giving back the lease bump the version, so that a PATCH which read the
      // secret on the other side of either cannot write back a stale lease state.
      const item = await this.table.updateIf(
        keys.secret(workspaceId, secretId),
        { set: { leaseOwner: owner, leaseUntil: now + durationMs }, increment: ['version'] },
        // Only oauth2 secrets have anything to refresh, so only they can be leased.
        'attribute_exists(pk) AND authType = :oauth2 AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
        { ':now': now, ':oauth2': 'oauth2' },
      );
      return parseKeyed(item, secretSchema, secretKeyOf);
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  /** Gives a lease back without changing anything else. */
  async releaseLease(workspaceId: string, secretId: string, owner: string): Promise<void> {
    try {
      await this.table.updateIf(
        keys.secret(workspaceId, secretId),
        { remove: ['leaseOwner', 'leaseUntil'], increment: ['version'] },
        'leaseOwner = :owner',
        { ':owner': owner },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /**
   * Writes the result of a refresh and gives the lease back. The change is applied to the
   * secret as it is now (a concurrent rename survives), and only while the lease is still ours.
   * Returns undefined when the lease was lost (the secret was deleted or its credentials replaced).
   */
  async saveUnderLease(
    workspaceId: string,
    secretId: string,
    owner: string,
    apply: (current: SecretRecord) => SecretRecord,
  ): Promise<SecretRecord | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(workspaceId, secretId);
      if (!current || current.leaseOwner !== owner) return undefined;
      const { leaseOwner: _owner, leaseUntil: _until, ...rest } = apply(current);
      const next: SecretRecord = { ...rest, version: current.version + 1 };
      try {
        await this.table.putIf(toItem(next), 'version = :expected AND leaseOwner = :owner', {
          ':expected': current.version,
          ':owner': owner,
        });
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    return undefined;
  }

  /** The secrets of an auth-client, across workspaces (up to `max`). */
  async listKeysByAuthClient(
    authClientId: string,
    max: number,
  ): Promise<Array<{ workspaceId: string; secretId: string }>> {
    const index = INDEX.secretsByAuthClient;
    const items = await this.table.queryAll(
      {
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': index.pk },
        ExpressionAttributeValues: { ':pk': `AUTHCLIENT#${authClientId}` },
        ...(Number.isFinite(max) ? { Limit: max } : {}),
      },
      max,
    );
    return items.map((item) => ({
      workspaceId: String(item.pk).replace(/^WS#/, ''),
      secretId: String(item.sk).replace(/^SECRET#/, ''),
    }));
  }

  /** Deletes a secret if it exists; throws `ConditionFailedError` if it does not. */
  async delete(workspaceId: string, secretId: string): Promise<void> {
    await this.table.deleteIf(keys.secret(workspaceId, secretId), 'attribute_exists(pk)');
  }

  /**
   * One page of a workspace's secrets in creation order, and how many there are in all.
   *
   * The filter's index is KEYS_ONLY, so walking it to count and to skip `offset` entries reads
   * about 150 bytes per secret instead of the whole item; only the page itself is then read in
   * full, with one BatchGetItem.
   */
  async list(
    workspaceId: string,
    filter: SecretListFilter,
    offset: number,
    limit: number,
  ): Promise<SecretPage> {
    const query = secretListQuery(workspaceId, filter);
    const indexKeys = await this.table.queryAll({
      IndexName: query.index,
      KeyConditionExpression: query.skPrefix ? '#pk = :pk AND begins_with(#sk, :prefix)' : '#pk = :pk',
      ExpressionAttributeNames: query.skPrefix
        ? { '#pk': query.pkName, '#sk': query.skName }
        : { '#pk': query.pkName },
      ExpressionAttributeValues: query.skPrefix
        ? { ':pk': query.pkValue, ':prefix': query.skPrefix }
        : { ':pk': query.pkValue },
    });
    const pageKeys: Key[] = indexKeys
      .slice(offset, offset + limit)
      .map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    const found = await this.table.batchGet(pageKeys);
    // The index is eventually consistent: a secret deleted a moment ago may still be listed there,
    // and is then simply missing from the page.
    const secrets = pageKeys.flatMap((key) => {
      const item = found.get(keyString(key));
      if (!item) return [];
      try {
        return [parseKeyed(item, secretSchema, secretKeyOf)];
      } catch (error) {
        if (!(error instanceof MisplacedRecordError)) throw error;
        logError('list skips a misplaced item', error);
        return [];
      }
    });
    return { secrets, total: indexKeys.length };
  }
}

/** A secret as its item: key, record and index attributes (also used by the benchmark's bulk load). */
const secretKeyOf = (secret: SecretRecord) => keys.secret(secret.workspaceId, secret.id);

export function toItem(secret: SecretRecord): Record<string, unknown> {
  return {
    ...keys.secret(secret.workspaceId, secret.id),
    entity: 'auth-secret',
    ...secret,
    ...secretIndexAttributes(secret),
  };
}
