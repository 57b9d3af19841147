import { setTimeout as sleep } from 'node:timers/promises';
import { ConcurrentModificationError } from '../errors';
import { ConditionFailedError } from './ports';

/** Rounds of read → change → write before answering 409: enough for a dozen writers at once. */
const ATTEMPTS = 8;
/** The longest wait between two rounds: the waits double from 10 ms, each a random part of that. */
const MAX_BACKOFF_MS = 200;

/**
 * Runs a read → change → conditional write `attempt`, again from the read whenever another
 * writer won the race (the write's condition failed), and answers 409 only if it keeps losing.
 * Safe for changes that set values, which re-applying on the newer record keeps intact. Between
 * rounds it waits a random while ("full jitter"), so that writers who lost together do not all
 * read and write together again.
 */
export async function withOptimisticRetry<T>(changing: string, attempt: () => Promise<T>): Promise<T> {
  for (let round = 0; round < ATTEMPTS; round++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    if (round + 1 < ATTEMPTS) await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, 10 * 2 ** round));
  }
  throw new ConcurrentModificationError(
    `The ${changing} kept changing while this update was applied; try again.`,
  );
}
