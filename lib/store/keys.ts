/**
 * Every key shape of the single table, in one place. The README's access-pattern table is the
 * prose version of this file.
 *
 * Base table: `pk` (partition) + `sk` (sort). Indexes are named after the access pattern they
 * serve; their key attributes are written only on the items that belong in them (sparse).
 */
export type Key = { pk: string; sk: string };

export const INDEX = {
  /** A workspace's secrets in creation order (KEYS_ONLY: cheap to count and to skip). */
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
   * oauth2 secrets in `ready` state by expiry, for the scheduled refresh. Written across a few
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
  /** A secret of the v1 (Barbican) API: its own sort-key prefix, in the workspace's partition. */
  v1Secret: (workspaceId: string, secretId: string): Key => ({
    pk: `WS#${workspaceId}`,
    sk: `V1SECRET#${secretId}`,
  }),
};

export const DUE_SHARDS = 4;

/** The shard of the due index a secret goes to: stable, from its id. */
export function dueShard(secretId: string): string {
  let hash = 0;
  for (const char of secretId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `DUE#${hash % DUE_SHARDS}`;
}

/**
 * The index attributes a secret carries: one per list filter, and the due index entry while it
 * is an oauth2 secret in `ready` state with a known expiry.
 */
export function secretIndexAttributes(secret: {
  id: string;
  workspaceId: string;
  userId: string;
  authClientId: string;
  authType: string;
  state: string;
  expiresAt: string | null;
}): Record<string, string> {
  const { id, workspaceId, userId, authClientId } = secret;
  const due: Record<string, string> =
    secret.authType === 'oauth2' && secret.state === 'ready' && secret.expiresAt !== null
      ? { [INDEX.secretsDueForRefresh.pk]: dueShard(id), [INDEX.secretsDueForRefresh.sk]: secret.expiresAt }
      : {};
  return {
    ...due,
    [INDEX.secretsByWorkspace.pk]: `WS#${workspaceId}`,
    [INDEX.secretsByWorkspace.sk]: id,
    [INDEX.secretsByUser.pk]: `WS#${workspaceId}#USER#${userId}`,
    [INDEX.secretsByUser.sk]: id,
    [INDEX.secretsByAuthClient.pk]: `AUTHCLIENT#${authClientId}`,
    [INDEX.secretsByAuthClient.sk]: `WS#${workspaceId}#${id}`,
    [INDEX.secretsByUserAndAuthClient.pk]: `WS#${workspaceId}#USER#${userId}#AUTHCLIENT#${authClientId}`,
    [INDEX.secretsByUserAndAuthClient.sk]: id,
  };
}

export function membershipIndexAttributes(workspaceId: string, userId: string): Record<string, string> {
  return {
    [INDEX.membershipsByUser.pk]: `USER#${userId}`,
    [INDEX.membershipsByUser.sk]: `WS#${workspaceId}`,
  };
}

export interface SecretListFilter {
  readonly userId?: string;
  readonly authClientId?: string;
}

/** Which index and key condition serve a secret list with the given filters. */
export function secretListQuery(
  workspaceId: string,
  filter: SecretListFilter,
): { index: IndexName; pkName: string; pkValue: string; skName: string; skPrefix?: string } {
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
      pkValue: `AUTHCLIENT#${authClientId}`,
      skName: index.sk,
      skPrefix: `WS#${workspaceId}#`,
    };
  }
  const index = INDEX.secretsByWorkspace;
  return { index: index.name, pkName: index.pk, pkValue: `WS#${workspaceId}`, skName: index.sk };
}

/** The list index entry of a v1 secret: every v1 secret is listed, in id (creation) order. */
export function v1SecretIndexAttributes(secret: { id: string; workspaceId: string }): Record<string, string> {
  return {
    [INDEX.v1SecretsByWorkspace.pk]: `WS#${secret.workspaceId}`,
    [INDEX.v1SecretsByWorkspace.sk]: secret.id,
  };
}
