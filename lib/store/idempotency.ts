import * as z from 'zod';
import { EXPIRES_ATTRIBUTE, keys } from './keys';
import { ConditionFailedError, type IdempotencyRepository, type IdempotentRequest } from './ports';
import type { Table } from './table';

const requestSchema = z.object({
  userId: z.string(),
  keyHash: z.string(),
  fingerprint: z.string(),
  state: z.enum(['running', 'done']),
  claimToken: z.string(),
  lockedUntil: z.number(),
  sealedAnswer: z.string().optional(),
  createdAt: z.string(),
  [EXPIRES_ATTRIBUTE]: z.number(),
});

/**
 * Idempotency keys in the single table, one item per (user, key): claimed by one conditional
 * write, so of two requests with one key exactly one runs. Items expire (TTL) a day after the
 * first request; until DynamoDB removes them, the condition treats expired ones as absent.
 */
export class IdempotencyStore implements IdempotencyRepository {
  constructor(private readonly table: Table) {}

  async claim(request: IdempotentRequest, now: number): Promise<IdempotentRequest | undefined> {
    const key = keys.idempotencyKey(request.userId, request.keyHash);
    // Claiming, the key's record is read back if it is taken; a record released (deleted) between
    // the two is claimed again.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.table.putIf(
          { ...key, entity: 'idempotency-key', ...request },
          'attribute_not_exists(pk) OR #expires < :nowSeconds OR (#state = :running AND lockedUntil < :now)',
          { ':nowSeconds': Math.floor(now / 1000), ':running': 'running', ':now': now },
          { '#expires': EXPIRES_ATTRIBUTE, '#state': 'state' },
        );
        return undefined;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
      const found = await this.table.get(key, requestSchema);
      if (found) return found;
    }
    throw new ConditionFailedError();
  }

  async complete(userId: string, keyHash: string, claimToken: string, sealedAnswer: string): Promise<void> {
    await this.table.updateIf(
      keys.idempotencyKey(userId, keyHash),
      { set: { state: 'done', sealedAnswer } },
      'claimToken = :token',
      { ':token': claimToken },
    );
  }

  async release(userId: string, keyHash: string, claimToken: string): Promise<void> {
    try {
      await this.table.deleteIf(keys.idempotencyKey(userId, keyHash), 'claimToken = :token', {
        ':token': claimToken,
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
