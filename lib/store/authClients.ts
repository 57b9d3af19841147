import { authClientSchema, type AuthClient } from '../model';
import { putNew } from './createGuard';
import { authClientsOfTenant, keys } from './keys';
import { AuthClientInUseError, ConditionFailedError, type AuthClientRepository } from './ports';
import { parseKeyed, TransactionConditionFailedError, type Table } from './table';

/**
 * Auth-clients, under their tenant's partition. Each has a usage item beside it, which every
 * auth-secret write that names the client updates in its transaction (./secrets): deleting the
 * client requires that count to be zero in the same transaction, so no secret is ever left on a
 * deleted client.
 */
export class AuthClientStore implements AuthClientRepository {
  constructor(private readonly table: Table) {}

  async create(client: AuthClient): Promise<void> {
    await putNew(this.table, authClientItem(client));
  }

  get(tenantId: string, authClientId: string): Promise<AuthClient | undefined> {
    return this.table.get(keys.authClient(tenantId, authClientId), authClientSchema, {
      keyOf: authClientKeyOf,
    });
  }

  /** Replaces an auth-client if it still has `expectedVersion`; throws `ConditionFailedError` otherwise. */
  async replace(client: AuthClient, expectedVersion: number): Promise<void> {
    await this.table.putIf(authClientItem(client), 'attribute_exists(pk) AND version = :expected', {
      ':expected': expectedVersion,
    });
  }

  /**
   * Deletes an auth-client that no auth-secret uses, in one transaction with its usage count (which
   * every secret write that names the client updates), so that no secret can be created on it or
   * moved to it in between. Throws `ConditionFailedError` if it does not exist and
   * `AuthClientInUseError` while secrets use it.
   */
  async delete(tenantId: string, authClientId: string, expectedVersion?: number): Promise<void> {
    try {
      await this.table.transact([
        {
          delete: {
            Key: keys.authClient(tenantId, authClientId),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_exists(pk)' }
              : {
                  ConditionExpression: 'attribute_exists(pk) AND version = :expected',
                  ExpressionAttributeValues: { ':expected': expectedVersion },
                }),
          },
        },
        {
          delete: {
            Key: keys.authClientUsage(tenantId, authClientId),
            ConditionExpression: 'attribute_not_exists(secrets) OR secrets <= :none',
            ExpressionAttributeValues: { ':none': 0 },
          },
        },
      ]);
    } catch (error) {
      if (!(error instanceof TransactionConditionFailedError)) throw error;
      if (error.failed.includes(0)) throw new ConditionFailedError({ cause: error });
      throw new AuthClientInUseError();
    }
  }

  /**
   * Marks an auth-client as being deleted: from then on no auth-secret can be created on it or
   * moved to it, so a cascade delete can empty it. Throws `ConditionFailedError` if it does not exist.
   */
  async markDeleting(
    tenantId: string,
    authClientId: string,
    at: string,
    expectedVersion?: number,
  ): Promise<void> {
    try {
      await this.table.transact([
        {
          check: {
            Key: keys.authClient(tenantId, authClientId),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_exists(pk)' }
              : {
                  ConditionExpression: 'attribute_exists(pk) AND version = :expected',
                  ExpressionAttributeValues: { ':expected': expectedVersion },
                }),
          },
        },
        {
          update: {
            Key: keys.authClientUsage(tenantId, authClientId),
            UpdateExpression: 'SET deletingSince = if_not_exists(deletingSince, :at)',
            ExpressionAttributeValues: { ':at': at },
          },
        },
      ]);
    } catch (error) {
      if (error instanceof TransactionConditionFailedError) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }

  /** A tenant's auth-clients in creation order (a tenant has few; they are read whole). */
  async list(tenantId: string): Promise<AuthClient[]> {
    const { pk, skPrefix } = authClientsOfTenant(tenantId);
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
    });
    return items.map((item) => parseKeyed(item, authClientSchema, authClientKeyOf));
  }
}

const authClientKeyOf = (client: AuthClient) => keys.authClient(client.tenantId, client.id);

/**
 * The item of an auth-client. `authorizeParams` is named by the tenant, member by member, and is
 * given to the marshaller as a Map: as a plain object, a member named `constructor` (an ordinary
 * query parameter name) would make the marshaller take it for a class instance and throw. It is
 * the same DynamoDB map either way, and is read back as a plain object.
 */
function authClientItem(client: AuthClient) {
  return {
    ...keys.authClient(client.tenantId, client.id),
    entity: 'auth-client',
    ...client,
    authorizeParams: new Map(Object.entries(client.authorizeParams)),
  };
}
