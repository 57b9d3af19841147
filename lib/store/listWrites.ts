import type { CountedLists, ListBlocks } from './countedLists';
import { ConditionFailedError } from './ports';
import type { TransactionOp } from './table';

/**
 * Attempts at a write whose list counts moved under it (another writer opened a block, or counted
 * a later id into the head first). Writers that collided retry after a jittered pause, so that a
 * burst of creates into one workspace spreads out instead of colliding again in step.
 */
export const LIST_ATTEMPTS = 12;

/** Thrown inside a write when list counts moved under it; the write is then run again from its reads. */
export class ListsMovedError extends Error {
  constructor() {
    super('list counts moved under the write');
    this.name = 'ListsMovedError';
  }
}

/**
 * Runs a write again from its reads when the lists' heads moved under it; after the last attempt
 * the write fails as a `ConditionFailedError`, like any other lost race.
 */
export async function withListRetry<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof ListsMovedError)) throw error;
      if (attempt >= LIST_ATTEMPTS) throw new ConditionFailedError({ cause: error });
      await pause(Math.random() * Math.min(500, 10 * 2 ** attempt));
    }
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads the lists' totals and returns the operations that count `id` into each, and where. */
export async function countInto(
  lists: CountedLists,
  names: readonly string[],
  id: string,
): Promise<{ ops: TransactionOp[]; listBlocks: ListBlocks }> {
  const totals = await lists.totals(names);
  const ops: TransactionOp[] = [];
  const listBlocks: ListBlocks = {};
  for (const name of names) {
    const counted = await lists.add(name, id, totals.get(name));
    ops.push(...counted.ops);
    listBlocks[name] = counted.blockStart;
  }
  return { ops, listBlocks };
}
