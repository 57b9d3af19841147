import { ConcurrentModificationError } from '../errors';
import { ConditionFailedError } from './ports';

const ATTEMPTS = 3;

/**
 * Runs a read → change → conditional write `attempt`, again from the read whenever another
 * writer won the race (the write's condition failed), and answers 409 only if it keeps losing.
 * Safe for changes that set values, which re-applying on the newer record keeps intact.
 */
export async function withOptimisticRetry<T>(changing: string, attempt: () => Promise<T>): Promise<T> {
  for (let round = 0; round < ATTEMPTS; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
  throw new ConcurrentModificationError(
    `The ${changing} kept changing while this update was applied; try again.`,
  );
}
