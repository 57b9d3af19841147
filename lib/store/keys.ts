/**
 * Every key shape of the single table, in one place. The README's access-pattern table is the
 * prose version of this file.
 *
 * Base table: `pk` (partition) + `sk` (sort). Indexes are named after the access pattern they
 * serve; their key attributes are written only on the items that belong in them (sparse).
 */
import { refreshDueAt, SECRET_STATES, type SecretState } from '../model';
import type { SecretListFilter } from './ports';

export type Key = { pk: string; sk: string };

export const INDEX = {
  /**
   * A workspace's secrets in creation order (KEYS_ONLY: cheap to count and to skip). This index and
   * the next three keep a secret in `ready` state under the partition its filters name, and one in
   * another state under that partition + `#STATE#<state>` (see statePartition): filter[state] reads
   * one partition, a list without it merges the partitions of every state by id.
   */
  secretsByWorkspace: { name: 'secretsByWorkspace', pk: 'byWorkspacePk', sk: 'byWorkspaceSk' },
  /** filter[user] */
  secretsByUser: { name: 'secretsByUser', pk: 'byUserPk', sk: 'byUserSk' },
  /** filter[auth_client] within a workspace (sort-key prefix), and all secrets of an auth-client. */
  secretsByAuthClient: { name: 'secretsByAuthClient', pk: 'byAuthClientPk', sk: 'byAuthClientSk' },
  /** filter[user] and filter[auth_client] together */
  secretsByUserAndAuthClient: {
    name: 'secretsByUserAndAuthClient',
    pk: 'byUserAndAuthClientPk',
    sk: 'byUserAndAuthClientSk',
  },
  /**
   * oauth2 secrets in `ready` state by when they are due for refresh (the earlier of expiry and the
   * auth-client's refresh interval), for the scheduled refresh. Written across a few
   * shards so that no single partition takes every write; INCLUDE projection of nextAttemptAt
   * lets the scheduler skip secrets in backoff without reading them.
   */
  secretsDueForRefresh: { name: 'secretsDueForRefresh', pk: 'dueShard', sk: 'dueAt' },
  /** The workspaces a user belongs to (ALL projection: memberships are small). */
  membershipsByUser: { name: 'membershipsByUser', pk: 'memberOfPk', sk: 'memberOfSk' },
  /**
   * A workspace's v1 (Barbican) secrets in creation order. INCLUDE projection of the fields a
   * Barbican list shows, so a list page is one Query that never reads a payload or metadata.
   */
  v1SecretsByWorkspace: { name: 'v1SecretsByWorkspace', pk: 'v1ByWorkspacePk', sk: 'v1ByWorkspaceSk' },
} as const;

/** The item attributes `v1SecretsByWorkspace` projects: everything a v1 list entry shows. */
export const V1_SECRET_LIST_ATTRIBUTES = [
  'name',
  'algorithm',
  'bitLength',
  'mode',
  'secretType',
  'expiration',
  'contentType',
  'creatorId',
  'createdAt',
  'updatedAt',
] as const;

export type IndexName = (typeof INDEX)[keyof typeof INDEX]['name'];

export const keys = {
  tenant: (tenantId: string): Key => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  workspace: (workspaceId: string): Key => ({ pk: `WS#${workspaceId}`, sk: 'WORKSPACE' }),
  user: (userId: string): Key => ({ pk: `USER#${userId}`, sk: 'USER' }),
  /** Claims an e-mail address so that two users cannot share one. */
  email: (email: string): Key => ({ pk: `EMAIL#${email.toLowerCase()}`, sk: 'EMAIL' }),
  apiKey: (userId: string, keyId: string): Key => ({ pk: `USER#${userId}`, sk: `APIKEY#${keyId}` }),
  membership: (workspaceId: string, userId: string): Key => ({
    pk: `WS#${workspaceId}`,
    sk: `MEMBER#${userId}`,
  }),
  tenantGrant: (tenantId: string, userId: string): Key => ({
    pk: `TENANT#${tenantId}`,
    sk: `ADMIN#${userId}`,
  }),
  authClient: (tenantId: string, authClientId: string): Key => ({
    pk: `TENANT#${tenantId}`,
    sk: `AUTHCLIENT#${authClientId}`,
  }),
  secret: (workspaceId: string, secretId: string): Key => ({
    pk: `WS#${workspaceId}`,
    sk: `SECRET#${secretId}`,
  }),
  /**
   * How many auth-secrets use an auth-client (across workspaces), and whether it is being deleted:
   * secret writes update it in their transaction, so a delete can never leave an orphan.
   */
  authClientUsage: (tenantId: string, authClientId: string): Key => ({
    pk: `TENANT#${tenantId}`,
    sk: `USAGE#AUTHCLIENT#${authClientId}`,
  }),
  /** A counted list's total, and where its newest block starts (see lib/store/countedLists.ts). */
  listTotal: (list: string): Key => ({ pk: `LIST#${list}`, sk: 'TOTAL' }),
  /** How many members of a counted list have ids from `start` up to the next block's start. */
  listBlock: (list: string, start: string): Key => ({
    pk: `LIST#${list}`,
    sk: `${LIST_BLOCK_PREFIX}${start}`,
  }),
  webhook: (tenantId: string, webhookId: string): Key => ({
    pk: `TENANT#${tenantId}`,
    sk: `WEBHOOK#${webhookId}`,
  }),
  /**
   * A workspace's events in the order they were stored (see lib/store/events.ts): the sort key is
   * the event's position, zero-padded so that it sorts as a number.
   */
  event: (workspaceId: string, position: number): Key => ({
    pk: `EVENTS#${workspaceId}`,
    sk: String(position).padStart(EVENT_POSITION_DIGITS, '0'),
  }),
  /** How many events a workspace has stored: the next one's position is one more. */
  eventCounter: (workspaceId: string): Key => ({ pk: `EVENTCOUNT#${workspaceId}`, sk: 'COUNT' }),
  /** Where a stored event is (its position), by its id: stores each event once, and finds cursors. */
  eventById: (eventId: string): Key => ({ pk: `EVENT#${eventId}`, sk: 'EVENT' }),
  /** An event's delivery to a webhook; a webhook's deliveries share a partition, in event order. */
  delivery: (webhookId: string, eventId: string): Key => ({
    pk: `DELIVERIES#${webhookId}`,
    sk: eventId,
  }),
  /**
   * An audit record, in its workspace's trail (or its tenant's, for tenant-level requests; or the
   * unscoped one, for refused requests that named neither), in id (time) order.
   */
  auditRecord: (scope: AuditScope, recordId: string): Key => ({ pk: auditPartition(scope), sk: recordId }),
  /** A message of the local stand-in for SQS (local mode only): ordered by when it is visible. */
  localQueueMessage: (queue: string, visibleAt: string, messageId: string): Key => ({
    pk: `LOCALQUEUE#${queue}`,
    sk: `${visibleAt}#${messageId}`,
  }),
  /**
   * A version of an auth-secret's credentials, beside the secret in its workspace's partition; the
   * number is zero-padded so that versions sort as numbers.
   */
  secretVersion: (workspaceId: string, secretId: string, number: number): Key => ({
    pk: `WS#${workspaceId}`,
    sk: `${secretVersionPrefix(secretId)}${String(number).padStart(VERSION_DIGITS, '0')}`,
  }),
  /** An idempotency key of a user's create requests (its SHA-256): see lib/http/idempotency.ts. */
  idempotencyKey: (userId: string, keyHash: string): Key => ({
    pk: `IDEMPOTENCY#${userId}`,
    sk: keyHash,
  }),
  /** A connect session, by the SHA-256 of its state (lib/connect): the callback finds it by the state. */
  connectSession: (stateHash: string): Key => ({ pk: `CONNECT#${stateHash}`, sk: 'CONNECT' }),
  /** A secret of the v1 (Barbican) API: its own sort-key prefix, in the workspace's partition. */
  v1Secret: (workspaceId: string, secretId: string): Key => ({
    pk: `WS#${workspaceId}`,
    sk: `V1SECRET#${secretId}`,
  }),
};

export const LIST_BLOCK_PREFIX = 'BLOCK#';

const VERSION_DIGITS = 10;

/** The sort-key prefix of an auth-secret's credential versions. */
export const secretVersionPrefix = (secretId: string): string => `CREDVERSION#${secretId}#`;

export type AuditScope = { workspaceId: string } | { tenantId: string } | 'unscoped';

function auditPartition(scope: AuditScope): string {
  if (scope === 'unscoped') return 'AUDIT#UNSCOPED';
  return 'workspaceId' in scope ? `AUDIT#WS#${scope.workspaceId}` : `AUDIT#TENANT#${scope.tenantId}`;
}

/** Event positions are written with this many digits (Number.MAX_SAFE_INTEGER has 16). */
const EVENT_POSITION_DIGITS = 16;

/** The table partition and sort-key prefix of a tenant's webhooks. */
export const webhooksOfTenant = (tenantId: string) => ({
  pk: keys.tenant(tenantId).pk,
  skPrefix: keys.webhook(tenantId, '').sk,
});

/**
 * The attribute DynamoDB's time to live reads (epoch seconds): events, deliveries and audit records
 * carry it; the table's TTL setting (serverless.yml) names it.
 */
export const EXPIRES_ATTRIBUTE = 'expiresAtEpoch';

/** The block start a list-block item's sort key names. */
export function listBlockStart(sk: string): string {
  if (!sk.startsWith(LIST_BLOCK_PREFIX)) throw new Error(`not a list block: ${sk}`);
  return sk.slice(LIST_BLOCK_PREFIX.length);
}

/**
 * The counted lists an auth-secret belongs to, one per list filter combination (see
 * secretListQuery): each keeps an exact total and block counts for skipping. Eight: with and
 * without each of filter[user], filter[auth_client] and filter[state].
 */
export function secretListNames(secret: {
  workspaceId: string;
  userId: string;
  authClientId: string;
  state: SecretState;
  deletedAt?: string | undefined;
}): string[] {
  const { workspaceId, userId, authClientId, state } = secret;
  // A deleted (recoverable) secret is counted only in its workspace's list of deleted secrets.
  if (secret.deletedAt !== undefined) return [secretListName(workspaceId, { deleted: true })];
  const byOwner: SecretListFilter[] = [{}, { userId }, { authClientId }, { userId, authClientId }];
  return byOwner.flatMap((filter) => [
    secretListName(workspaceId, filter),
    secretListName(workspaceId, { ...filter, state }),
  ]);
}

export function secretListName(workspaceId: string, filter: SecretListFilter): string {
  if (filter.deleted) return `SECRETS#${workspaceId}#DELETED`;
  return [
    `SECRETS#${workspaceId}`,
    ...(filter.userId !== undefined ? [`USER#${filter.userId}`] : []),
    ...(filter.authClientId !== undefined ? [`AUTHCLIENT#${filter.authClientId}`] : []),
    ...(filter.state !== undefined ? [`STATE#${filter.state}`] : []),
  ].join('#');
}

/** The counted list of a workspace's v1 secrets. */
export const v1SecretListName = (workspaceId: string): string => `V1SECRETS#${workspaceId}`;

/**
 * The counted list of a workspace's v1 secrets that have an expiration. While it is empty, no
 * v1 secret of the workspace can have expired, so the plain v1 list is exactly the counted one.
 */
export const v1ExpiringListName = (workspaceId: string): string => `V1SECRETS#${workspaceId}#EXPIRING`;

/** The counted lists a v1 secret belongs to: its workspace's, and the expiring one if it can expire. */
export function v1SecretListNames(secret: { workspaceId: string; expiration: string | null }): string[] {
  return [
    v1SecretListName(secret.workspaceId),
    ...(secret.expiration === null ? [] : [v1ExpiringListName(secret.workspaceId)]),
  ];
}

export const DUE_SHARDS = 4;

/** The partition of one shard of the due index. */
export const dueShardPartition = (shard: number): string => `DUE#${shard}`;

/**
 * The partition of one shard of deleted secrets by purge time: the due index serves both (its
 * sort key is then the purge time), so the purge needs no index of its own.
 */
export const purgeShardPartition = (shard: number): string => `PURGE#${shard}`;

/** The workspace and secret ids of an auth-secret item's table key (as index entries carry it). */
export function parseSecretKey(item: Record<string, unknown>): { workspaceId: string; secretId: string } {
  const workspace = /^WS#([^#]+)$/.exec(String(item.pk));
  const secret = /^SECRET#(.+)$/.exec(String(item.sk));
  if (!workspace?.[1] || !secret?.[1]) throw new Error('not an auth-secret key');
  return { workspaceId: workspace[1], secretId: secret[1] };
}

/** The shard of the due index a secret goes to: stable, from its id. */
export function dueShard(secretId: string): string {
  return dueShardPartition(shardOf(secretId));
}

function shardOf(secretId: string): number {
  let hash = 0;
  for (const char of secretId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % DUE_SHARDS;
}

/** The index entries of a deleted secret: the deleted list, and its purge time. */
function deletedIndexAttributes(secret: { id: string; workspaceId: string; purgeAt?: string | undefined }) {
  const list = secretListQuery(secret.workspaceId, { deleted: true });
  return {
    [list.pkName]: list.pkValue,
    [list.skName]: secret.id,
    ...(secret.purgeAt !== undefined
      ? {
          [INDEX.secretsDueForRefresh.pk]: purgeShardPartition(shardOf(secret.id)),
          [INDEX.secretsDueForRefresh.sk]: secret.purgeAt,
        }
      : {}),
  };
}

/**
 * The index attributes a secret carries: one per list index, under its state's partition, and the
 * due index entry while it is an oauth2 secret in `ready` state with a due time.
 */
export function secretIndexAttributes(secret: {
  id: string;
  workspaceId: string;
  userId: string;
  authClientId: string;
  authType: string;
  state: SecretState;
  expiresAt: string | null;
  intervalDueAt?: string | null;
  deletedAt?: string | undefined;
  purgeAt?: string | undefined;
}): Record<string, string> {
  if (secret.deletedAt !== undefined) return deletedIndexAttributes(secret);
  const { id, workspaceId, userId, authClientId, state } = secret;
  const dueAt = refreshDueAt(secret);
  const due: Record<string, string> =
    secret.authType === 'oauth2' && state === 'ready' && dueAt !== null
      ? { [INDEX.secretsDueForRefresh.pk]: dueShard(id), [INDEX.secretsDueForRefresh.sk]: dueAt }
      : {};
  const lists: Record<string, string> = {};
  for (const filter of [{}, { userId }, { authClientId }, { userId, authClientId }]) {
    const query = secretListQuery(workspaceId, filter);
    lists[query.pkName] = statePartition(query.pkValue, state);
    lists[query.skName] = `${query.skPrefix ?? ''}${id}`;
  }
  return { ...due, ...lists };
}

/** The partition of a user's entries in the memberships-by-user index. */
export const membershipsOfUserPartition = (userId: string): string => `USER#${userId}`;

/** The table partition and sort-key prefix of a tenant's auth-clients. */
export const authClientsOfTenant = (tenantId: string) => ({
  pk: keys.tenant(tenantId).pk,
  skPrefix: keys.authClient(tenantId, '').sk,
});

export function membershipIndexAttributes(workspaceId: string, userId: string): Record<string, string> {
  return {
    [INDEX.membershipsByUser.pk]: membershipsOfUserPartition(userId),
    [INDEX.membershipsByUser.sk]: `WS#${workspaceId}`,
  };
}

export type { SecretListFilter };

/**
 * Where a secret list lives: the index, the partitions to read (one with filter[state]; otherwise
 * one per state, merged by sort key), and the sort-key prefix before the secret id (the
 * by-auth-client index spans workspaces, so its sort keys start with the workspace).
 */
export interface SecretListQuery {
  readonly index: IndexName;
  readonly pkName: string;
  /** The partition of the secrets in `ready` state; see {@link statePartition}. */
  readonly pkValue: string;
  /** Every partition the list's members are in. */
  readonly partitions: readonly string[];
  readonly skName: string;
  readonly skPrefix?: string;
}

/**
 * The list index partition of a secret in `state`: a `ready` secret stays where the filter's
 * partition is (where every secret was before states were listed), a secret in any other state goes
 * to that partition + `#STATE#<state>`. Secrets in error are few, so a list without filter[state]
 * adds a Query of a mostly empty partition rather than a second index per filter combination.
 */
export function statePartition(pkValue: string, state: SecretState): string {
  return state === 'ready' ? pkValue : `${pkValue}#STATE#${state}`;
}

/** Which index and key condition serve a secret list with the given filters. */
export function secretListQuery(workspaceId: string, filter: SecretListFilter): SecretListQuery {
  if (filter.deleted) {
    // The workspace index, under a partition of its own (no other filter applies to deleted secrets).
    const index = INDEX.secretsByWorkspace;
    const pkValue = `WS#${workspaceId}#DELETED`;
    return { index: index.name, pkName: index.pk, pkValue, partitions: [pkValue], skName: index.sk };
  }
  const base = ownerListQuery(workspaceId, filter);
  const states = filter.state !== undefined ? [filter.state] : SECRET_STATES;
  return { ...base, partitions: states.map((state) => statePartition(base.pkValue, state)) };
}

function ownerListQuery(workspaceId: string, filter: SecretListFilter): Omit<SecretListQuery, 'partitions'> {
  const { userId, authClientId } = filter;
  if (userId !== undefined && authClientId !== undefined) {
    const index = INDEX.secretsByUserAndAuthClient;
    return {
      index: index.name,
      pkName: index.pk,
      pkValue: `WS#${workspaceId}#USER#${userId}#AUTHCLIENT#${authClientId}`,
      skName: index.sk,
    };
  }
  if (userId !== undefined) {
    const index = INDEX.secretsByUser;
    return {
      index: index.name,
      pkName: index.pk,
      pkValue: `WS#${workspaceId}#USER#${userId}`,
      skName: index.sk,
    };
  }
  if (authClientId !== undefined) {
    const index = INDEX.secretsByAuthClient;
    return {
      index: index.name,
      pkName: index.pk,
      pkValue: authClientIndexPartition(authClientId),
      skName: index.sk,
      skPrefix: authClientWorkspacePrefix(workspaceId),
    };
  }
  const index = INDEX.secretsByWorkspace;
  return { index: index.name, pkName: index.pk, pkValue: `WS#${workspaceId}`, skName: index.sk };
}

export const authClientIndexPartition = (authClientId: string) => `AUTHCLIENT#${authClientId}`;

const authClientWorkspacePrefix = (workspaceId: string) => `WS#${workspaceId}#`;

/** The workspace and secret ids of an entry of the by-auth-client index. */
export const parseAuthClientIndexEntry = parseSecretKey;

/** The list index entry of a v1 secret: every v1 secret is listed, in id (creation) order. */
export function v1SecretIndexAttributes(secret: { id: string; workspaceId: string }): Record<string, string> {
  return {
    [INDEX.v1SecretsByWorkspace.pk]: `WS#${secret.workspaceId}`,
    [INDEX.v1SecretsByWorkspace.sk]: secret.id,
  };
}
