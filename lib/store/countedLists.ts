// A namespace import lets esbuild tree-shake zod (see the bundle sizes in bench/report.md).
import * as z from 'zod';
import { keys, LIST_BLOCK_PREFIX, listBlockStart } from './keys';
import type { Table, TransactionOp } from './table';

/**
 * Counted lists: the bookkeeping that makes `meta.total` and offset paging cost the same in a
 * workspace of 100 secrets and of 1,000,000.
 *
 * A list (say, a workspace's secrets with filter[user]) is ordered by member id (UUIDv7, so
 * creation order). For each list the table holds
 * - a total item: the exact member count, and where the newest ("head") block starts;
 * - block items: the id order cut into blocks, each with how many members have ids from its
 *   start up to the next block's start.
 * Every write that adds or removes a member updates its list's total and block in the same
 * transaction as the member itself, so the counts are exact, even across crashes. A new member
 * goes into the head block until `blockSize` members have gone there, then opens a new block at
 * its own id. The first block starts at '' (before every id), so that a member whose id sorts
 * before all others (a clock behind the rest, an id made earlier) still has a block. Deletes
 * shrink blocks; empty blocks stay (a few bytes each).
 *
 * Skipping to offset N reads the block items in order until their counts pass N (about N /
 * blockSize items of ~40 bytes), then at most one block's worth of index keys: a cost in
 * proportion to the offset, a small fraction of reading N keys, and nothing at offset 0.
 *
 * The block size (LIST_BLOCK_SIZE, default 100) only decides when a new block opens: lists written
 * under one size read correctly under another.
 */
const FIRST_BLOCK = '';

const totalSchema = z.object({
  count: z.number().int(),
  headStart: z.string(),
  headCount: z.number().int(),
  /** The largest id the head block counts: a new block may only start after it. */
  headLast: z.string().optional(),
});
export type ListTotal = z.infer<typeof totalSchema>;

const blockSchema = z.object({ sk: z.string(), n: z.number().int() });

/** Where a member was counted: list name → the start of the block that counts it. */
export type ListBlocks = Record<string, string>;

export class CountedLists {
  constructor(
    private readonly table: Table,
    private readonly blockSize: number,
  ) {}

  /** The totals of `lists` (absent: the list has never had a member), read consistently. */
  async totals(lists: readonly string[]): Promise<Map<string, ListTotal>> {
    const found = await this.table.batchGet(lists.map(keys.listTotal), { consistent: true });
    const totals = new Map<string, ListTotal>();
    for (const list of lists) {
      const key = keys.listTotal(list);
      const item = found.get(`${key.pk}|${key.sk}`);
      if (item) totals.set(list, totalSchema.parse(item));
    }
    return totals;
  }

  /** A list's exact member count: one strongly consistent GetItem of a small item. */
  async count(list: string): Promise<number> {
    return (await this.table.get(keys.listTotal(list), totalSchema))?.count ?? 0;
  }

  /**
   * The operations that count member `id` into `list`, given the list's total as read, and the
   * block that will count it. The operations fail (as a transaction condition) if the head moved
   * since the read: the caller then reads again and retries.
   */
  async add(
    list: string,
    id: string,
    total: ListTotal | undefined,
  ): Promise<{ ops: TransactionOp[]; blockStart: string }> {
    const totalKey = keys.listTotal(list);
    if (!total) {
      return {
        blockStart: FIRST_BLOCK,
        ops: [
          {
            put: {
              Item: { ...keys.listBlock(list, FIRST_BLOCK), n: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            put: {
              Item: { ...totalKey, count: 1, headStart: FIRST_BLOCK, headCount: 1, headLast: id },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      };
    }
    if (id < total.headStart) {
      // Rare: another writer opened a block at a later id after this id was made (or an old
      // secret moves into this list). The id belongs to the block before it; blocks only ever
      // open after every id counted so far, so none can open between this id and that block.
      const blockStart = await this.blockHolding(list, id);
      return {
        blockStart,
        ops: [increment(keys.listBlock(list, blockStart), 'n', 1), increment(totalKey, 'count', 1)],
      };
    }
    // A block starts at its first id and holds every id up to the next block's start, so a new
    // block may only open at an id after every id the head counts (headLast): an older id (made
    // earlier by a writer that stalled, or an old secret moving in) is counted into the head even
    // when it is full. A total written before headLast was kept never opens a block.
    if (total.headCount >= this.blockSize && total.headLast !== undefined && id > total.headLast) {
      return {
        blockStart: id,
        ops: [
          {
            put: {
              Item: { ...keys.listBlock(list, id), n: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            update: {
              Key: totalKey,
              UpdateExpression: 'SET headStart = :id, headCount = :one, headLast = :id ADD #count :one',
              ConditionExpression: 'headStart = :seen AND headLast = :last',
              ExpressionAttributeNames: { '#count': 'count' },
              ExpressionAttributeValues: {
                ':id': id,
                ':one': 1,
                ':seen': total.headStart,
                ':last': total.headLast,
              },
            },
          },
        ],
      };
    }
    const raisesLast = total.headLast !== undefined && id > total.headLast;
    return {
      blockStart: total.headStart,
      ops: [
        increment(keys.listBlock(list, total.headStart), 'n', 1),
        {
          update: {
            Key: totalKey,
            UpdateExpression: raisesLast
              ? 'SET headLast = :id ADD #count :one, headCount :one'
              : 'ADD #count :one, headCount :one',
            // headLast only grows while the head stays: `headLast < :id` lets two writers raise it
            // in either order (the later id's write wins; the earlier's then retries and fits).
            ConditionExpression: raisesLast ? 'headStart = :seen AND headLast < :id' : 'headStart = :seen',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: {
              ':one': 1,
              ':seen': total.headStart,
              ...(raisesLast ? { ':id': id } : {}),
            },
          },
        },
      ],
    };
  }

  /** The operations that count a member out of `list`, from the block that counted it. */
  remove(list: string, blockStart: string): TransactionOp[] {
    return [
      increment(keys.listBlock(list, blockStart), 'n', -1),
      increment(keys.listTotal(list), 'count', -1),
    ];
  }

  /**
   * Where the member at `offset` is: the start of the block holding it and how many members of
   * that block come before it; undefined when the list has no member at `offset`.
   */
  async locate(list: string, offset: number): Promise<{ blockStart: string; skip: number } | undefined> {
    const { pk } = keys.listTotal(list);
    let before = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.queryPage({
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': LIST_BLOCK_PREFIX },
        ProjectionExpression: 'sk, n',
        // Blocks hold about blockSize members, so this many reach the offset (fewer than that when
        // deletes shrank them: then the next page); reading on to the end would cost the whole list.
        Limit: Math.ceil((offset + 1) / this.blockSize) + 1,
        // As consistent as the total read beside it: offsets and total agree right after a write.
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) {
        const block = blockSchema.parse(item);
        if (before + block.n > offset) return { blockStart: listBlockStart(block.sk), skip: offset - before };
        before += block.n;
      }
      startKey = page.lastKey;
    } while (startKey);
    return undefined;
  }

  /** The start of the block that holds `id`: the last block starting at or before it. */
  private async blockHolding(list: string, id: string): Promise<string> {
    const { pk } = keys.listTotal(list);
    const { items } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :id',
      ExpressionAttributeValues: {
        ':pk': pk,
        ':first': LIST_BLOCK_PREFIX,
        ':id': keys.listBlock(list, id).sk,
      },
      ProjectionExpression: 'sk',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    const [block] = items;
    if (!block) throw new Error(`no block of ${list} holds ${id}`);
    return listBlockStart(String(block.sk));
  }
}

function increment(key: ReturnType<typeof keys.listTotal>, attribute: string, by: number): TransactionOp {
  return {
    update: {
      Key: key,
      UpdateExpression: 'ADD #attribute :by',
      ExpressionAttributeNames: { '#attribute': attribute },
      ExpressionAttributeValues: { ':by': by },
    },
  };
}

/**
 * The total and block items of lists built in one go from their members' ids (bulk loads for
 * benchmarks and fixtures), and where each member was counted.
 */
export function bulkListItems(
  lists: ReadonlyMap<string, readonly string[]>,
  blockSize: number,
): {
  items: Array<Record<string, unknown>>;
  blocksOf: Map<string, ListBlocks>;
} {
  const items: Array<Record<string, unknown>> = [];
  const blocksOf = new Map<string, ListBlocks>();
  for (const [list, unsorted] of lists) {
    const ids = [...unsorted].sort();
    if (ids.length === 0) continue;
    for (let start = 0; start < ids.length; start += blockSize) {
      const members = ids.slice(start, start + blockSize);
      const blockStart = start === 0 ? FIRST_BLOCK : (members[0] ?? FIRST_BLOCK);
      items.push({ ...keys.listBlock(list, blockStart), n: members.length });
      for (const id of members) blocksOf.set(id, { ...blocksOf.get(id), [list]: blockStart });
    }
    const last = ids.length - ((ids.length - 1) % blockSize) - 1;
    items.push({
      ...keys.listTotal(list),
      count: ids.length,
      headStart: last === 0 ? FIRST_BLOCK : (ids[last] ?? FIRST_BLOCK),
      headCount: ids.length - last,
      headLast: ids.at(-1),
    });
  }
  return { items, blocksOf };
}
