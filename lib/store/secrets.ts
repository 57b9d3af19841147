import {
  SECRET_STATES,
  secretSchema,
  secretVersionSchema,
  type CredentialChange,
  type SecretRecord,
  type SecretVersion,
} from '../model';
import { logError } from '../observability';
import { bulkListItems, CountedLists, type ListBlocks } from './countedLists';
import { countInto, LIST_ATTEMPTS, ListsMovedError, withListRetry } from './listWrites';
import {
  authClientIndexPartition,
  DUE_SHARDS,
  dueShardPartition,
  INDEX,
  keys,
  parseAuthClientIndexEntry,
  parseSecretKey,
  purgeShardPartition,
  secretIndexAttributes,
  secretListName,
  secretListNames,
  secretListQuery,
  secretVersionPrefix,
  statePartition,
  type Key,
  type SecretListQuery,
} from './keys';
import { createGuardOps } from './createGuard';
import {
  AuthClientGoneError,
  ClaimLostError,
  ConditionFailedError,
  type DueSecret,
  type SecretListFilter,
  type SecretPage,
  type SecretPageRequest,
  type SecretRepository,
} from './ports';
import {
  keyString,
  MisplacedRecordError,
  parseKeyed,
  TransactionConditionFailedError,
  type Table,
  type TransactionOp,
} from './table';

/**
 * Auth-secrets in the single table. Every write is conditional: creation on absence, updates and
 * deletes on the version that was read, so concurrent writers never overwrite each other unseen.
 * A write that adds, moves or removes a secret is one transaction with the counted lists it
 * belongs to (exact totals, cheap offsets) and with its auth-client's usage count (no secret can
 * be left on a deleted auth-client).
 */
export class SecretStore implements SecretRepository {
  private readonly lists: CountedLists;

  constructor(
    private readonly table: Table,
    listBlockSize: number,
  ) {
    this.lists = new CountedLists(table, listBlockSize);
  }

  /**
   * Creates a secret. Throws `ConditionFailedError` if its id is taken, `AuthClientGoneError` if its
   * auth-client is gone or being deleted.
   */
  async create(
    secret: SecretRecord,
    change: CredentialChange = { source: 'create', actorUserId: secret.userId },
  ): Promise<SecretRecord> {
    return withListRetry(async () => {
      const { ops: listOps, listBlocks } = await countInto(this.lists, secretListNames(secret), secret.id);
      const { record, ops: versionOps } = withNewVersion({ ...secret, listBlocks }, change);
      await this.transactGuarded({
        own: { put: { Item: toItem(record), ConditionExpression: 'attribute_not_exists(pk)' } },
        authClients: useAuthClient(secret.tenantId, secret.authClientId, 1),
        guard: createGuardOps(keys.secret(secret.workspaceId, secret.id)),
        lists: [...listOps, ...versionOps],
      });
      return record;
    });
  }

  /** A live secret (a deleted one, even recoverable, is not found here: see getDeleted). */
  async get(workspaceId: string, secretId: string): Promise<SecretRecord | undefined> {
    const secret = await this.read(workspaceId, secretId);
    return secret?.deletedAt === undefined ? secret : undefined;
  }

  /** A deleted secret that is still recoverable (not purged yet). */
  async getDeleted(workspaceId: string, secretId: string): Promise<SecretRecord | undefined> {
    const secret = await this.read(workspaceId, secretId);
    return secret?.deletedAt !== undefined ? secret : undefined;
  }

  /**
   * Replaces a secret if it still has `expectedVersion`; throws `ConditionFailedError` otherwise,
   * and `AuthClientGoneError` when it was to move to (or come back to) an auth-client that is gone.
   * With `change`, the new credentials are kept as a new version in the same transaction. Deleting
   * (setting `deletedAt`) and restoring a secret are replacements too: they move it between its
   * lists and the deleted list.
   */
  async replace(
    secret: SecretRecord,
    expectedVersion: number,
    change?: CredentialChange,
  ): Promise<SecretRecord> {
    const condition = {
      expression: 'attribute_exists(pk) AND version = :expected',
      values: { ':expected': expectedVersion },
    };
    if (staysInItsLists(secret)) {
      if (!change) {
        await this.table.putIf(toItem(secret), condition.expression, condition.values);
        return secret;
      }
      // A secret from before versions were kept: its credentials so far become version 1.
      const previous =
        secret.credentialsVersion === undefined ? await this.read(secret.workspaceId, secret.id) : undefined;
      const { record, ops } = withNewVersion(secret, change, previous);
      await this.transactGuarded({
        own: {
          put: {
            Item: toItem(record),
            ConditionExpression: condition.expression,
            ExpressionAttributeValues: condition.values,
          },
        },
        authClients: [],
        // The version writes have no condition: only the secret's own can fail.
        lists: ops,
      });
      return record;
    }
    // It moves between lists (another auth-client, another state, deleted or back): count it out of
    // the old ones, into the new.
    return withListRetry(async () => {
      const current = await this.read(secret.workspaceId, secret.id);
      if (!current || current.version !== expectedVersion) throw new ConditionFailedError();
      return this.move(current, secret, condition, change);
    });
  }

  /** A secret's kept credential versions, newest first (without opening them). */
  async listVersions(workspaceId: string, secretId: string): Promise<SecretVersion[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': keys.secret(workspaceId, secretId).pk,
        ':prefix': secretVersionPrefix(secretId),
      },
      ScanIndexForward: false,
    });
    return items.map((item) => secretVersionSchema.parse(item));
  }

  getVersion(workspaceId: string, secretId: string, number: number): Promise<SecretVersion | undefined> {
    return this.table.get(keys.secretVersion(workspaceId, secretId, number), secretVersionSchema, {
      keyOf: (version) => keys.secretVersion(version.workspaceId, version.secretId, version.number),
    });
  }

  /** Deleted secrets whose recovery window ended by `now` (ISO 8601), from every purge shard. */
  async listPurgeable(now: string): Promise<Array<{ workspaceId: string; secretId: string }>> {
    return (await this.dueIndexUpTo(purgeShardPartition, now)).map(parseSecretKey);
  }

  /** The entries of every shard of the due index (DUE# or PURGE# partitions) with a time up to `upTo`. */
  private async dueIndexUpTo(partition: (shard: number) => string, upTo: string) {
    const index = INDEX.secretsDueForRefresh;
    const shards = await Promise.all(
      Array.from({ length: DUE_SHARDS }, (_, shard) =>
        this.table.queryAll({
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND #sk <= :upTo',
          ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
          ExpressionAttributeValues: { ':pk': partition(shard), ':upTo': upTo },
        }),
      ),
    );
    return shards.flat();
  }

  private read(workspaceId: string, secretId: string): Promise<SecretRecord | undefined> {
    return this.table.get(keys.secret(workspaceId, secretId), secretSchema, { keyOf: secretKeyOf });
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
        // A deleted secret is never refreshed.
        'attribute_exists(pk) AND authType = :oauth2 AND attribute_not_exists(deletedAt) AND ' +
          '(attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
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
   * A change of state moves the secret between the state lists in the same transaction, under the
   * same condition. Returns undefined when the lease was lost (the secret was deleted or its
   * credentials replaced).
   */
  async saveUnderLease(
    workspaceId: string,
    secretId: string,
    owner: string,
    apply: (current: SecretRecord) => SecretRecord,
    change?: CredentialChange,
  ): Promise<SecretRecord | undefined> {
    for (let attempt = 0; attempt < LIST_ATTEMPTS; attempt++) {
      // A secret deleted (recoverably) while its refresh ran still keeps what the refresh got: the
      // provider may have rotated its refresh token, which a restore will need.
      const current =
        (await this.get(workspaceId, secretId)) ?? (await this.getDeleted(workspaceId, secretId));
      if (!current || current.leaseOwner !== owner) return undefined;
      const { leaseOwner: _owner, leaseUntil: _until, ...rest } = apply(current);
      const next: SecretRecord = {
        ...rest,
        version: current.version + 1,
        listBlocks: current.listBlocks,
        // A deleted secret hears nothing more of its refreshes: no event for a platform to act on.
        ...(current.deletedAt !== undefined ? { lastChange: current.lastChange } : {}),
      };
      const condition = {
        expression: 'version = :expected AND leaseOwner = :owner',
        values: { ':expected': current.version, ':owner': owner },
      };
      // Only new credentials make a version (a failed refresh changes bookkeeping only).
      const newCredentials =
        change && next.sealedCredentials !== current.sealedCredentials ? change : undefined;
      try {
        if (staysInItsLists(next) && !newCredentials) {
          await this.table.putIf(toItem(next), condition.expression, condition.values);
          return next;
        }
        return await this.move(current, next, condition, newCredentials);
      } catch (error) {
        // Changed (or the lease taken) since the read, or the lists' heads moved: read again.
        if (!(error instanceof ConditionFailedError) && !(error instanceof ListsMovedError)) throw error;
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
    const found: Array<Record<string, unknown>> = [];
    // One partition per state (see statePartition).
    for (const state of SECRET_STATES) {
      if (found.length >= max) break;
      const left = max - found.length;
      found.push(
        ...(await this.table.queryAll(
          {
            IndexName: index.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': index.pk },
            ExpressionAttributeValues: {
              ':pk': statePartition(authClientIndexPartition(authClientId), state),
            },
            ...(Number.isFinite(left) ? { Limit: left } : {}),
          },
          left,
        )),
      );
    }
    return found.slice(0, max).map(parseAuthClientIndexEntry);
  }

  /**
   * oauth2 secrets in `ready` state due for refresh by `horizon`: every shard of the due index (a
   * permanent failure takes a secret out of it), with when each may be tried again after a
   * transient failure.
   */
  async listDue(horizon: string): Promise<DueSecret[]> {
    const entries = await this.dueIndexUpTo(dueShardPartition, horizon);
    return entries.map((item) => ({
      ...parseSecretKey(item),
      dueAt: String(item[INDEX.secretsDueForRefresh.sk]),
      nextAttemptAt: typeof item.nextAttemptAt === 'string' ? item.nextAttemptAt : undefined,
    }));
  }

  /**
   * Deletes a secret if it exists (and, with `authClientId`, only while it uses that auth-client);
   * throws `ConditionFailedError` otherwise. The delete is conditional on the version read, so a
   * move between the read and the write makes it read again.
   */
  async delete(
    workspaceId: string,
    secretId: string,
    options: { authClientId?: string; version?: number; purgeBy?: string } = {},
  ): Promise<void> {
    await withListRetry(async () => {
      const current = await this.read(workspaceId, secretId);
      if (!current) throw new ConditionFailedError();
      // A cascade deletes only the secrets still on the auth-client it empties: one moved away
      // since the index was read is not its to delete.
      if (options.authClientId !== undefined && current.authClientId !== options.authClientId) {
        throw new ConditionFailedError();
      }
      if (options.version !== undefined && current.version !== options.version)
        throw new ConditionFailedError();
      // The purge takes only secrets still deleted, past their window (a restore may have won).
      if (
        options.purgeBy !== undefined &&
        !(current.purgeAt !== undefined && current.purgeAt <= options.purgeBy)
      ) {
        throw new ConditionFailedError();
      }
      const blocks = Object.entries(current.listBlocks ?? {});
      // A secret written before lists were counted was never counted in its auth-client's usage; a
      // deleted one was counted out of it when it was deleted.
      const usesClient = blocks.length > 0 && current.deletedAt === undefined;
      try {
        await this.table.transact([
          {
            delete: {
              Key: keys.secret(workspaceId, secretId),
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':expected': current.version },
            },
          },
          ...(usesClient ? useAuthClient(current.tenantId, current.authClientId, -1) : []),
          ...blocks.flatMap(([list, blockStart]) => this.lists.remove(list, blockStart)),
          // Its kept credentials go with it.
          ...keptVersionNumbers(current.credentialsVersion).map((number) => ({
            delete: { Key: keys.secretVersion(workspaceId, secretId, number) },
          })),
        ]);
      } catch (error) {
        // Changed or deleted since the read: read again (withListRetry), and find out which.
        if (error instanceof TransactionConditionFailedError) throw new ListsMovedError();
        throw error;
      }
    });
  }

  /** How many secrets the list with these filters has (exact). */
  count(workspaceId: string, filter: SecretListFilter): Promise<number> {
    return this.lists.count(secretListName(workspaceId, filter));
  }

  /**
   * One page of a workspace's secrets in creation order (id as the tiebreak), and how many there
   * are in all.
   *
   * The total is the list's counter (one small read). The page's keys come from the filter's
   * KEYS_ONLY index, read from the block that holds the offset (or just after the `after` id), so
   * a page costs the same at offset 0 of a workspace of 100 or 1,000,000 secrets, and skipping
   * costs about one block-count entry per block (LIST_BLOCK_SIZE) of secrets skipped. Only the page itself is
   * then read in full, with one BatchGetItem.
   */
  async list(workspaceId: string, filter: SecretListFilter, page: SecretPageRequest): Promise<SecretPage> {
    const listName = secretListName(workspaceId, filter);
    const query = secretListQuery(workspaceId, filter);
    // The total is read beside everything else: it never waits, and nothing waits for it.
    const totalRead = this.lists.count(listName);
    const from = await this.startOf(listName, query, page);
    if (!from) return { secrets: [], total: await totalRead, more: false };
    // One Query per partition (one per state without filter[state]), each up to the page's end and
    // one more (to tell whether anything follows); merged by sort key, they are the list from `from`.
    const wanted = from.skip + page.limit + 1;
    const partitions = await Promise.all(
      query.partitions.map((partition) =>
        this.table.queryAll(
          {
            IndexName: query.index,
            KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#pk': query.pkName, '#sk': query.skName },
            ExpressionAttributeValues: {
              ':pk': partition,
              // A key condition cannot compare with '': from the very start, compare with ' ' instead.
              ':from': from.sortKey || JUST_AFTER,
              ':to': `${query.skPrefix ?? ''}${AFTER_EVERY_ID}`,
            },
            Limit: wanted,
          },
          wanted,
        ),
      ),
    );
    const index = mergeBySortKey(partitions, query.skName);
    const pageKeys: Key[] = index
      .slice(from.skip, from.skip + page.limit)
      .map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
    const found = await this.table.batchGet(pageKeys);
    // The index is eventually consistent: a secret deleted a moment ago may still be listed there,
    // and is then simply missing from the page, as is one whose state or owner changed since.
    const secrets = pageKeys.flatMap((key) => {
      const item = found.get(keyString(key));
      if (!item) return [];
      try {
        const secret = parseKeyed(item, secretSchema, secretKeyOf);
        return matches(secret, filter) ? [secret] : [];
      } catch (error) {
        if (!(error instanceof MisplacedRecordError)) throw error;
        this.onMisplaced(error);
        return [];
      }
    });
    return { secrets, total: await totalRead, more: index.length > from.skip + page.limit };
  }

  /** Where in the index a page starts: the first sort key to read, and how many entries to skip there. */
  private async startOf(
    listName: string,
    query: SecretListQuery,
    page: SecretPageRequest,
  ): Promise<{ sortKey: string; skip: number } | undefined> {
    const prefix = query.skPrefix ?? '';
    if ('after' in page) return { sortKey: `${prefix}${page.after}${JUST_AFTER}`, skip: 0 };
    if (page.offset === 0) return { sortKey: prefix, skip: 0 };
    const located = await this.lists.locate(listName, page.offset);
    return located && { sortKey: `${prefix}${located.blockStart}`, skip: located.skip };
  }

  /**
   * Writes `next` over `current` (as read) under `condition`, in one transaction that counts it out
   * of the lists it leaves and into those it joins, and moves its auth-client usage when its
   * auth-client changes. Throws `ConditionFailedError` when the condition fails, `ListsMovedError`
   * when a list's head moved since its total was read, `AuthClientGoneError` when the new
   * auth-client is gone.
   */
  private async move(
    current: SecretRecord,
    next: SecretRecord,
    condition: { expression: string; values: Record<string, unknown> },
    change?: CredentialChange,
  ): Promise<SecretRecord> {
    const lists = secretListNames(next);
    const { leaving, listBlocks: kept } = splitBlocks(current.listBlocks ?? {}, lists);
    const joining = lists.filter((list) => kept[list] === undefined);
    const { ops: joinOps, listBlocks: joined } = await countInto(this.lists, joining, next.id);
    const moved: SecretRecord = { ...next, listBlocks: { ...kept, ...joined } };
    const { record: written, ops: versionOps } = change
      ? withNewVersion(moved, change, current)
      : { record: moved, ops: [] };
    // A secret stored before lists were counted was not in its auth-client's usage either: it is
    // counted into its client's usage now, and out of no one's. A deleted secret uses no client (its
    // client may go); restoring it counts it back in, which fails if the client is gone.
    const usedBefore = current.listBlocks !== undefined && current.deletedAt === undefined;
    const usedAfter = next.deletedAt === undefined;
    const sameClient = next.authClientId === current.authClientId;
    await this.transactGuarded({
      own: {
        put: {
          Item: toItem(written),
          ConditionExpression: condition.expression,
          ExpressionAttributeValues: condition.values,
        },
      },
      authClients: [
        ...(usedAfter && !(usedBefore && sameClient)
          ? useAuthClient(next.tenantId, next.authClientId, 1)
          : []),
        ...(usedBefore && !(usedAfter && sameClient)
          ? useAuthClient(current.tenantId, current.authClientId, -1)
          : []),
      ],
      lists: [
        ...Object.entries(leaving).flatMap(([list, blockStart]) => this.lists.remove(list, blockStart)),
        ...joinOps,
        ...versionOps,
      ],
    });
    return written;
  }

  /**
   * One transaction: the secret's own write, its auth-clients' checks and usage counts, and its
   * list counts. Tells apart which of them stopped it.
   */
  private async transactGuarded(parts: {
    own: TransactionOp;
    authClients: TransactionOp[];
    /** The request's create guard (an idempotency key's mark: lib/store/createGuard.ts). */
    guard?: TransactionOp[];
    lists: TransactionOp[];
  }): Promise<void> {
    const guard = parts.guard ?? [];
    try {
      await this.table.transact([parts.own, ...parts.authClients, ...guard, ...parts.lists]);
    } catch (error) {
      if (!(error instanceof TransactionConditionFailedError)) throw error;
      if (error.failed.includes(0)) throw new ConditionFailedError({ cause: error });
      if (error.failed.some((index) => index <= parts.authClients.length)) throw new AuthClientGoneError();
      if (error.failed.some((index) => index <= parts.authClients.length + guard.length)) {
        throw new ClaimLostError({ cause: error });
      }
      throw new ListsMovedError();
    }
  }

  private onMisplaced(error: MisplacedRecordError): void {
    logError('list skips a misplaced item', error);
  }
}

/** How many versions of credentials before the current one are kept (older ones are deleted). */
const PREVIOUS_VERSIONS_KEPT = 10;

/** The numbers of the versions a secret at `current` keeps: the current one and those before it. */
function keptVersionNumbers(current: number | undefined): number[] {
  if (current === undefined) return [];
  const first = Math.max(1, current - PREVIOUS_VERSIONS_KEPT);
  return Array.from({ length: current - first + 1 }, (_, index) => first + index);
}

/**
 * The secret with its credentials as a new version, and the writes that keep it: the version
 * itself, and the delete of the one that falls out of the kept range. A secret stored before
 * versions were kept (`previous`, as read, without a version number) first gets its credentials so
 * far as version 1, so that its first change keeps them too.
 */
function withNewVersion(
  secret: SecretRecord,
  change: CredentialChange,
  previous?: SecretRecord,
): { record: SecretRecord; ops: TransactionOp[] } {
  const legacy =
    previous !== undefined &&
    previous.credentialsVersion === undefined &&
    previous.sealedCredentials !== secret.sealedCredentials
      ? previous
      : undefined;
  const number = (secret.credentialsVersion ?? 0) + (legacy ? 2 : 1);
  const record: SecretRecord = { ...secret, credentialsVersion: number };
  const versions: SecretVersion[] = [
    ...(legacy
      ? [
          {
            ...versionOf(legacy, number - 1),
            // What stored them is not known; a refresh if the secret was refreshed since it was written.
            source: legacy.refreshedAt !== null ? ('refresh' as const) : ('create' as const),
            actorUserId: null,
            createdAt: legacy.refreshedAt ?? legacy.updatedAt,
          },
        ]
      : []),
    { ...versionOf(secret, number), source: change.source, actorUserId: change.actorUserId },
  ];
  const dropped = number - PREVIOUS_VERSIONS_KEPT - 1;
  return {
    record,
    ops: [
      ...versions.map((version) => ({
        put: {
          Item: {
            ...keys.secretVersion(secret.workspaceId, secret.id, version.number),
            entity: 'auth-secret-version',
            ...version,
          },
        },
      })),
      ...(dropped >= 1
        ? [{ delete: { Key: keys.secretVersion(secret.workspaceId, secret.id, dropped) } }]
        : []),
    ],
  };
}

function versionOf(secret: SecretRecord, number: number): Omit<SecretVersion, 'source' | 'actorUserId'> {
  return {
    workspaceId: secret.workspaceId,
    secretId: secret.id,
    number,
    authClientId: secret.authClientId,
    createdAt: secret.updatedAt,
    sealedCredentials: secret.sealedCredentials,
    expiresAt: secret.expiresAt,
  };
}

/** Sorts after every secret id (ids are lower-case hex and dashes). */
const AFTER_EVERY_ID = '~';
/**
 * Appended to an id: sorts after it and before every later id (all ids have one length); alone,
 * sorts before every id.
 */
const JUST_AFTER = ' ';

/**
 * The operations that count a secret into (`+1`) or out of (`-1`) its auth-client's usage. Counting
 * in also checks that the auth-client exists and is not being deleted: a delete of the auth-client
 * conditions on the usage being zero, so one of the two transactions must lose.
 */
function useAuthClient(tenantId: string, authClientId: string, delta: 1 | -1): TransactionOp[] {
  const usage: TransactionOp = {
    update: {
      Key: keys.authClientUsage(tenantId, authClientId),
      UpdateExpression: 'ADD secrets :delta',
      ...(delta > 0 ? { ConditionExpression: 'attribute_not_exists(deletingSince)' } : {}),
      ExpressionAttributeValues: { ':delta': delta },
    },
  };
  if (delta < 0) return [usage];
  return [
    { check: { Key: keys.authClient(tenantId, authClientId), ConditionExpression: 'attribute_exists(pk)' } },
    usage,
  ];
}

function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item));
}

/** Whether a secret is counted in exactly the lists its fields name (so a plain write keeps them right). */
function staysInItsLists(secret: SecretRecord): boolean {
  return (
    secret.listBlocks !== undefined && sameMembers(Object.keys(secret.listBlocks), secretListNames(secret))
  );
}

function matches(secret: SecretRecord, filter: SecretListFilter): boolean {
  if ((secret.deletedAt !== undefined) !== (filter.deleted === true)) return false;
  if (filter.deleted) return true;
  return (
    (filter.userId === undefined || secret.userId === filter.userId) &&
    (filter.authClientId === undefined || secret.authClientId === filter.authClientId) &&
    (filter.state === undefined || secret.state === filter.state)
  );
}

/**
 * Index entries of several partitions in one sort-key order, each entry once (while a secret moves
 * between partitions an eventually consistent index may show it in both).
 */
function mergeBySortKey(
  partitions: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>,
  skName: string,
): Array<Record<string, unknown>> {
  const [only, ...others] = partitions;
  if (only && others.length === 0) return [...only];
  const byKey = new Map<string, Record<string, unknown>>();
  for (const item of partitions.flat()) byKey.set(`${String(item.pk)}|${String(item.sk)}`, item);
  return [...byKey.values()].sort((a, b) => {
    const [left, right] = [String(a[skName]), String(b[skName])];
    return left < right ? -1 : left > right ? 1 : 0;
  });
}

/** Splits where a secret is counted into the lists it leaves and those it stays in. */
function splitBlocks(blocks: ListBlocks, staying: readonly string[]) {
  const leaving: ListBlocks = {};
  const listBlocks: ListBlocks = {};
  for (const [list, start] of Object.entries(blocks)) {
    if (staying.includes(list)) listBlocks[list] = start;
    else leaving[list] = start;
  }
  return { leaving, listBlocks };
}

const secretKeyOf = (secret: SecretRecord) => keys.secret(secret.workspaceId, secret.id);

/** A secret as its item: key, record and index attributes. */
export function toItem(secret: SecretRecord): Record<string, unknown> {
  return {
    ...keys.secret(secret.workspaceId, secret.id),
    entity: 'auth-secret',
    ...secret,
    ...secretIndexAttributes(secret),
  };
}

/**
 * The items a set of new secrets would leave in the table had each been created through `create`:
 * the secrets (with where they are counted), their lists' totals and blocks, and their
 * auth-clients' usage. For bulk loads (benchmarks), written with BatchWriteItem into a table that
 * holds none of these lists yet.
 */
export function bulkSecretItems(
  secrets: readonly SecretRecord[],
  listBlockSize: number,
): Array<Record<string, unknown>> {
  const members = new Map<string, string[]>();
  const usage = new Map<string, { tenantId: string; authClientId: string; secrets: number }>();
  for (const secret of secrets) {
    for (const list of secretListNames(secret)) {
      const ids = members.get(list) ?? [];
      ids.push(secret.id);
      members.set(list, ids);
    }
    const key = `${secret.tenantId}|${secret.authClientId}`;
    const used = usage.get(key) ?? {
      tenantId: secret.tenantId,
      authClientId: secret.authClientId,
      secrets: 0,
    };
    usage.set(key, { ...used, secrets: used.secrets + 1 });
  }
  const { items, blocksOf } = bulkListItems(members, listBlockSize);
  return [
    ...secrets.map((secret) => toItem({ ...secret, listBlocks: blocksOf.get(secret.id) ?? {} })),
    ...items,
    ...[...usage.values()].map((used) => ({
      ...keys.authClientUsage(used.tenantId, used.authClientId),
      secrets: used.secrets,
    })),
  ];
}
