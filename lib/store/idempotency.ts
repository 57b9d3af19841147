import * as z from 'zod';
import { EXPIRES_ATTRIBUTE, keys } from './keys';
import { ConditionFailedError, type IdempotencyRepository, type IdempotentRequest } from './ports';
import type { Table } from './table';
import { withCreateGuard } from './createGuard';
import type { Key } from './keys';

/** The id in a created item's sort key (`SECRET#<id>`, `AUTHCLIENT#<id>`, …). */
const idOfKey = (created: Key): string => created.sk.slice(created.sk.lastIndexOf('#') + 1);

const requestSchema = z.object({
  userId: z.string(),
  keyHash: z.string(),
  fingerprint: z.string(),
  state: z.enum(['running', 'done']),
  claimToken: z.string(),
  lockedUntil: z.number(),
  sealedAnswer: z.string().optional(),
  createdId: z.string().optional(),
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
          'attribute_not_exists(pk) OR #expires < :nowSeconds OR ' +
            '(#state = :running AND lockedUntil < :now AND attribute_not_exists(createdId))',
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

  runClaimed<T>(request: IdempotentRequest, create: () => Promise<T>): Promise<T> {
    const key = keys.idempotencyKey(request.userId, request.keyHash);
    return withCreateGuard(
      (created) => [
        {
          update: {
            Key: key,
            UpdateExpression: 'SET createdId = :created',
            ConditionExpression: 'claimToken = :token',
            ExpressionAttributeValues: { ':created': idOfKey(created), ':token': request.claimToken },
          },
        },
      ],
      create,
    );
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
      // A request whose create happened keeps the key, even if it failed after: it must not run again.
      await this.table.deleteIf(
        keys.idempotencyKey(userId, keyHash),
        'claimToken = :token AND attribute_not_exists(createdId)',
        { ':token': claimToken },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }
}
