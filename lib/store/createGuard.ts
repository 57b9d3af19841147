import { AsyncLocalStorage } from 'node:async_hooks';
import type { Key } from './keys';
import { ClaimLostError, ConditionFailedError } from './ports';
import { TransactionConditionFailedError, type Table, type TransactionOp } from './table';

/**
 * Writes that must commit in the same transaction as the request's create, whichever store makes
 * it: an idempotency key's mark that its create happened (lib/store/idempotency.ts). Scoped to the
 * request, so that use cases need not carry them; a store's create appends them (`createGuardOps`)
 * and tells their failure apart (`ClaimLostError`).
 */
const guard = new AsyncLocalStorage<(created: Key) => TransactionOp[]>();

export function withCreateGuard<T>(
  ops: (created: Key) => TransactionOp[],
  run: () => Promise<T>,
): Promise<T> {
  return guard.run(ops, run);
}

/** The writes to commit with the create of the item at `created` (none outside a guarded request). */
export function createGuardOps(created: Key): TransactionOp[] {
  return guard.getStore()?.(created) ?? [];
}

/**
 * Puts a new item (`ConditionFailedError` if its key is taken) together with the request's create
 * guard, if it has one (`ClaimLostError` when the guard's condition fails).
 */
export async function putNew(table: Table, item: Record<string, unknown> & Key): Promise<void> {
  const guard = createGuardOps({ pk: item.pk, sk: item.sk });
  if (guard.length === 0) {
    await table.putIf(item, 'attribute_not_exists(pk)');
    return;
  }
  try {
    await table.transact([
      { put: { Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      ...guard,
    ]);
  } catch (error) {
    if (!(error instanceof TransactionConditionFailedError)) throw error;
    if (error.failed.includes(0)) throw new ConditionFailedError({ cause: error });
    throw new ClaimLostError({ cause: error });
  }
}
