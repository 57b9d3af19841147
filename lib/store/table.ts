import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { Key } from './keys';

type Item = Record<string, unknown>;

import { ConditionFailedError } from './ports';

export { ConditionFailedError };

/**
 * A transaction was cancelled because conditions did not hold: `failed` lists the positions of the
 * operations whose condition failed, so the caller can tell which invariant stopped it.
 */
export class TransactionConditionFailedError extends Error {
  constructor(
    readonly failed: readonly number[],
    options?: ErrorOptions,
  ) {
    super(`transaction condition failed at ${failed.join(', ')}`, options);
    this.name = 'TransactionConditionFailedError';
  }
}

/** One write of a transaction, without the table name (the table adds it). */
export type TransactionOp =
  | { readonly put: { Item: Item; ConditionExpression?: string } & ExpressionParts }
  | {
      readonly update: { Key: Key; UpdateExpression: string; ConditionExpression?: string } & ExpressionParts;
    }
  | { readonly delete: { Key: Key; ConditionExpression?: string } & ExpressionParts }
  | { readonly check: { Key: Key; ConditionExpression: string } & ExpressionParts };

interface ExpressionParts {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

const BATCH_GET_LIMIT = 100;
/** How many items one Query page of a filtered feed reads (see queryFeedPage). */
const FILTERED_PAGE_READ = 200;
const MAX_BATCH_ATTEMPTS = 8;
/**
 * Transactions that touch a hot item (a workspace's list total) at the same moment are cancelled
 * with TransactionConflict on AWS; they are retried with jittered backoff (about 3 s in all at
 * most) so that such conflicts never reach a client. DynamoDB Local serialises transactions and
 * never shows them: test/unit/transactions.test.ts drives this path at the SDK boundary.
 */
const MAX_TRANSACTION_ATTEMPTS = 10;

/**
 * The single table, as the stores use it: typed reads parsed through a schema, conditional
 * writes whose failure becomes a `ConditionFailedError`, and the retry loops DynamoDB expects
 * of its callers (unprocessed batch keys, paginated queries).
 */
export class Table {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  async get<T>(
    key: Key,
    schema: z.ZodType<T>,
    options: { consistent?: boolean; keyOf?: (record: T) => Key } = {},
  ): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: options.consistent ?? true }),
    );
    if (!Item) return undefined;
    return options.keyOf ? parseKeyed(Item, schema, options.keyOf) : schema.parse(Item);
  }

  /** Reads many items in as few round trips as DynamoDB allows; the result is keyed by `pk|sk`. */
  async batchGet(keys: readonly Key[], options: { consistent?: boolean } = {}): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const unique = [...new Map(keys.map((key) => [keyString(key), key])).values()];
    for (let start = 0; start < unique.length; start += BATCH_GET_LIMIT) {
      let pending: Key[] = unique.slice(start, start + BATCH_GET_LIMIT);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_BATCH_ATTEMPTS) throw new Error('DynamoDB kept keys unprocessed');
        if (attempt > 0) await sleep(Math.random() * 25 * 2 ** attempt);
        const result = await this.client.send(
          new BatchGetCommand({
            RequestItems: { [this.name]: { Keys: pending, ConsistentRead: options.consistent ?? false } },
          }),
        );
        for (const item of result.Responses?.[this.name] ?? []) found.set(keyString(item as Key), item);
        pending = (result.UnprocessedKeys?.[this.name]?.Keys as Key[] | undefined) ?? [];
      }
    }
    return found;
  }

  /** One page of a Query: its items and where the next page starts, if there is one. */
  async queryPage(
    input: Omit<QueryCommandInput, 'TableName'>,
  ): Promise<{ items: Item[]; lastKey: Record<string, unknown> | undefined; scanned: number }> {
    const page = await this.client.send(new QueryCommand({ ...input, TableName: this.name }));
    return {
      items: (page.Items as Item[] | undefined) ?? [],
      lastKey: page.LastEvaluatedKey,
      // Before a FilterExpression: what the page cost to read.
      scanned: page.ScannedCount ?? 0,
    };
  }

  /**
   * A page of a feed read by key, where a FilterExpression may leave most items out: reads the
   * Query's pages until one item more than `limit` passed (so another page follows), the Query
   * ends, or `readBudget` items were read. Then `items` holds at most `limit` items; `more` says
   * whether items follow the last of them; `stoppedAt` is where reading stopped short of a full
   * page (the budget ran out), for the next page to go on from.
   */
  async queryFeedPage(
    input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    options: { limit: number; readBudget: number; skip?: (item: Item) => boolean },
  ): Promise<{ items: Item[]; more: boolean; stoppedAt: Record<string, unknown> | undefined }> {
    const filtered = input.FilterExpression !== undefined;
    const items: Item[] = [];
    let read = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.queryPage({
        ...input,
        // Unfiltered, one more than the page tells whether another follows.
        Limit: filtered ? FILTERED_PAGE_READ : options.limit + 1,
        ExclusiveStartKey: startKey,
      });
      read += page.scanned;
      items.push(...page.items.filter((item) => !options.skip?.(item)));
      startKey = page.lastKey;
    } while (startKey && items.length <= options.limit && read < options.readBudget);
    if (items.length > options.limit)
      return { items: items.slice(0, options.limit), more: true, stoppedAt: undefined };
    return { items, more: startKey !== undefined, stoppedAt: startKey };
  }

  /** Runs a Query to its end (or until `maxItems`), following LastEvaluatedKey. */
  async queryAll(input: Omit<QueryCommandInput, 'TableName'>, maxItems = Infinity): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ ...input, TableName: this.name, ExclusiveStartKey: startKey }),
      );
      items.push(...((page.Items as Item[] | undefined) ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey && items.length < maxItems);
    return items;
  }

  /** Puts an item, replacing whatever was there (grants and memberships, which are set, not merged). */
  async put(item: Item): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.name, Item: item }));
  }

  /** Puts an item only if the condition holds; otherwise throws `ConditionFailedError`. */
  async putIf(
    item: Item,
    condition: string,
    values?: Record<string, unknown>,
    names?: Record<string, string>,
  ): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.name,
        Item: item,
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
        ...(names ? { ExpressionAttributeNames: names } : {}),
      }),
    );
  }

  /** Deletes an item only if the condition holds; otherwise throws `ConditionFailedError`. */
  async deleteIf(key: Key, condition: string, values?: Record<string, unknown>): Promise<void> {
    await this.conditional(
      new DeleteCommand({
        TableName: this.name,
        Key: key,
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }

  /**
   * Deletes an item and returns it as it was, or undefined when there was none. Of two requests
   * deleting one item at once, exactly one gets it: an item taken this way is taken once.
   */
  async take(key: Key): Promise<Item | undefined> {
    const { Attributes } = await retryingConflicts(() =>
      this.client.send(new DeleteCommand({ TableName: this.name, Key: key, ReturnValues: 'ALL_OLD' })),
    );
    return Attributes;
  }

  /**
   * Updates an item if the condition holds: sets, removes and increments attributes in one
   * write, returning the item as it is afterwards; otherwise throws `ConditionFailedError`.
   */
  async updateIf(
    key: Key,
    change: { set?: Record<string, unknown>; remove?: readonly string[]; increment?: readonly string[] },
    condition: string,
    values: Record<string, unknown>,
  ): Promise<Item> {
    const names: Record<string, string> = {};
    const updateValues: Record<string, unknown> = { ...values };
    const name = (attribute: string) => {
      const placeholder = `#u${Object.keys(names).length}`;
      names[placeholder] = attribute;
      return placeholder;
    };
    const clauses: string[] = [];
    const set = Object.entries(change.set ?? {});
    if (set.length > 0) {
      clauses.push(
        `SET ${set
          .map(([attribute, value], index) => {
            updateValues[`:s${index}`] = value;
            return `${name(attribute)} = :s${index}`;
          })
          .join(', ')}`,
      );
    }
    if (change.remove?.length) clauses.push(`REMOVE ${change.remove.map(name).join(', ')}`);
    if (change.increment?.length) {
      updateValues[':one'] = 1;
      clauses.push(`ADD ${change.increment.map((attribute) => `${name(attribute)} :one`).join(', ')}`);
    }
    const command = new UpdateCommand({
      TableName: this.name,
      Key: key,
      UpdateExpression: clauses.join(' '),
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: updateValues,
      ReturnValues: 'ALL_NEW',
    });
    try {
      const result = await retryingConflicts(() => this.client.send(command));
      return result.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }

  /**
   * Writes all `ops` or none (TransactWriteItems). A failed condition throws
   * `TransactionConditionFailedError` naming the operations that failed; conflicts with other
   * transactions are retried here.
   */
  async transact(ops: readonly TransactionOp[]): Promise<void> {
    const input: TransactWriteCommandInput = { TransactItems: ops.map((op) => this.transactItem(op)) };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new TransactWriteCommand(input));
        return;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) throw error;
        const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
        const failed = codes.flatMap((code, index) => (code === 'ConditionalCheckFailed' ? [index] : []));
        if (failed.length > 0) throw new TransactionConditionFailedError(failed, { cause: error });
        const retryable = codes.some((code) => code === 'TransactionConflict' || code === 'ThrottlingError');
        if (!retryable || attempt >= MAX_TRANSACTION_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
      }
    }
  }

  private transactItem(op: TransactionOp): NonNullable<TransactWriteCommandInput['TransactItems']>[number] {
    const TableName = this.name;
    if ('put' in op) return { Put: { ...op.put, TableName } };
    if ('update' in op) return { Update: { ...op.update, TableName } };
    if ('delete' in op) return { Delete: { ...op.delete, TableName } };
    return { ConditionCheck: { ...op.check, TableName } };
  }

  private async conditional(command: PutCommand | DeleteCommand): Promise<void> {
    try {
      // The union is narrowed by the overloads of send; both commands resolve to the same shape.
      await retryingConflicts(() => this.client.send(command as PutCommand));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }
}

/**
 * An item whose own ids do not match the key it is stored under: copied or moved by someone
 * with write access to the table. Its sealed fields are bound to the ids it claims, so reading
 * it as if it belonged where it lies would open another record's secrets.
 */
export class MisplacedRecordError extends Error {
  constructor(key: Key) {
    super(`the item at ${keyString(key)} does not belong there`);
    this.name = 'MisplacedRecordError';
  }
}

/** Parses an item and checks that the ids it holds give the key it is stored under. */
export function parseKeyed<T>(
  item: Record<string, unknown>,
  schema: z.ZodType<T>,
  keyOf: (record: T) => Key,
): T {
  const record = schema.parse(item);
  const expected = keyOf(record);
  if (item.pk !== expected.pk || item.sk !== expected.sk) {
    throw new MisplacedRecordError({ pk: String(item.pk), sk: String(item.sk) });
  }
  return record;
}

export function keyString(key: Key): string {
  return `${key.pk}|${key.sk}`;
}

/**
 * On AWS a single write to an item that a transaction is writing at the same moment fails with
 * TransactionConflictException (the refresh lease and a PATCH of the name against a create's or
 * move's transaction, say). Such a write is retried with jittered backoff, as transactions are.
 */
async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof TransactionConflictException) || attempt >= MAX_TRANSACTION_ATTEMPTS)
        throw error;
      await sleep(Math.random() * Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
