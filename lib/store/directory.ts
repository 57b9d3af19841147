import { ConflictError } from '../errors';
import {
  apiKeySchema,
  membershipSchema,
  tenantGrantSchema,
  tenantSchema,
  userSchema,
  workspaceSchema,
  type ApiKeyRecord,
  type Membership,
  type Tenant,
  type TenantGrant,
  type User,
  type Workspace,
} from '../model';
import { INDEX, keys, membershipIndexAttributes, membershipsOfUserPartition, type Key } from './keys';
import type { IdentityRepository } from './ports';
import { TtlCache } from '../ttlCache';
import { ConditionFailedError, keyString, type Table } from './table';

/**
 * Tenants, workspaces, users, their API keys and memberships: the records that say who may do
 * what, written mostly by the admin CLI and read on every request.
 */
export class DirectoryStore implements IdentityRepository {
  /**
   * API key records and memberships/grants found, kept for `accessCacheMs` in a warm container
   * so that most requests need no authorisation read at all. Only records that exist are kept:
   * a new grant takes effect at once, a revoked one within the cache's lifetime (as with API
   * Gateway's authorizer cache). The presented key's secret is still checked on every request.
   */
  private readonly accessCache: TtlCache<Record<string, unknown>>;

  constructor(
    private readonly table: Table,
    options: { accessCacheMs?: number } = {},
  ) {
    this.accessCache = new TtlCache(options.accessCacheMs ?? 0);
  }

  async putTenant(tenant: Tenant): Promise<void> {
    await this.table.putIf(
      { ...keys.tenant(tenant.id), entity: 'tenant', ...tenant },
      'attribute_not_exists(pk)',
    );
  }

  getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.table.get(keys.tenant(tenantId), tenantSchema);
  }

  async putWorkspace(workspace: Workspace): Promise<void> {
    await this.table.putIf(
      { ...keys.workspace(workspace.id), entity: 'workspace', ...workspace },
      'attribute_not_exists(pk)',
    );
  }

  getWorkspace(workspaceId: string): Promise<Workspace | undefined> {
    return this.table.get(keys.workspace(workspaceId), workspaceSchema);
  }

  /** Creates a user, claiming its e-mail address first so that no two users share one. */
  async putUser(user: User): Promise<void> {
    try {
      await this.table.putIf(
        { ...keys.email(user.email), entity: 'email', userId: user.id },
        'attribute_not_exists(pk)',
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) {
        throw new ConflictError(`a user with e-mail ${user.email} exists already`, { cause: error });
      }
      throw error;
    }
    await this.table.putIf({ ...keys.user(user.id), entity: 'user', ...user }, 'attribute_not_exists(pk)');
  }

  getUser(userId: string): Promise<User | undefined> {
    return this.table.get(keys.user(userId), userSchema);
  }

  async putApiKey(record: ApiKeyRecord): Promise<void> {
    await this.table.putIf(
      { ...keys.apiKey(record.userId, record.keyId), entity: 'api-key', ...record },
      'attribute_not_exists(pk)',
    );
  }

  /** Grants (or replaces) a user's permissions in a workspace. */
  /** Removes an API key; false when there was none. */
  async deleteApiKey(userId: string, keyId: string): Promise<boolean> {
    return this.deleteIfExists(keys.apiKey(userId, keyId));
  }

  /** Removes a user from a workspace; false when they were not a member. */
  async deleteMembership(workspaceId: string, userId: string): Promise<boolean> {
    return this.deleteIfExists(keys.membership(workspaceId, userId));
  }

  private async deleteIfExists(key: Key): Promise<boolean> {
    try {
      await this.table.deleteIf(key, 'attribute_exists(pk)');
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async putMembership(membership: Membership): Promise<void> {
    await this.table.put({
      ...keys.membership(membership.workspaceId, membership.userId),
      ...membershipIndexAttributes(membership.workspaceId, membership.userId),
      entity: 'membership',
      ...membership,
    });
  }

  getMembership(workspaceId: string, userId: string): Promise<Membership | undefined> {
    return this.table.get(keys.membership(workspaceId, userId), membershipSchema);
  }

  /**
   * What every request needs about its caller, in one round trip: the API key record the
   * presented key claims, and the caller's membership of the workspace (or grant on the tenant)
   * the request is about.
   */
  async getKeyAndAccess(
    userId: string,
    keyId: string,
    scope: { workspaceId?: string; tenantId?: string },
  ): Promise<{ apiKey?: ApiKeyRecord; membership?: Membership; tenantGrant?: TenantGrant }> {
    const apiKeyKey = keys.apiKey(userId, keyId);
    const membershipKey =
      scope.workspaceId === undefined ? undefined : keys.membership(scope.workspaceId, userId);
    const grantKey = scope.tenantId === undefined ? undefined : keys.tenantGrant(scope.tenantId, userId);
    const wanted = [apiKeyKey, membershipKey, grantKey].filter((key) => key !== undefined);
    const found = new Map<string, Record<string, unknown>>();
    const missing = wanted.filter((key) => {
      const cached = this.accessCache.get(keyString(key));
      if (cached) found.set(keyString(key), cached);
      return !cached;
    });
    if (missing.length > 0) {
      for (const [key, item] of await this.table.batchGet(missing, { consistent: true })) {
        found.set(key, item);
        this.accessCache.set(key, item);
      }
    }
    const apiKeyItem = found.get(keyString(apiKeyKey));
    const membershipItem = membershipKey && found.get(keyString(membershipKey));
    const grantItem = grantKey && found.get(keyString(grantKey));
    return {
      apiKey: apiKeyItem ? apiKeySchema.parse(apiKeyItem) : undefined,
      membership: membershipItem ? membershipSchema.parse(membershipItem) : undefined,
      tenantGrant: grantItem ? tenantGrantSchema.parse(grantItem) : undefined,
    };
  }

  /** Grants (or replaces) a user's permissions over a tenant's auth-clients. */
  async putTenantGrant(grant: TenantGrant): Promise<void> {
    await this.table.put({
      ...keys.tenantGrant(grant.tenantId, grant.userId),
      entity: 'tenant-grant',
      ...grant,
    });
  }

  /** The workspaces a user belongs to (bounded by the number of memberships a user has). */
  async listMemberships(userId: string): Promise<Membership[]> {
    const items = await this.table.queryAll({
      IndexName: INDEX.membershipsByUser.name,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': INDEX.membershipsByUser.pk },
      ExpressionAttributeValues: { ':pk': membershipsOfUserPartition(userId) },
    });
    return items.map((item) => membershipSchema.parse(item));
  }
}
