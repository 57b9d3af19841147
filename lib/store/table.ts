import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { z } from 'zod';
import type { Key } from './keys';

type Item = Record<string, unknown>;

/** A conditional write found the item in another state than it expected. */
export class ConditionFailedError extends Error {
  constructor(options?: ErrorOptions) {
    super('conditional write failed', options);
    this.name = 'ConditionFailedError';
  }
}

const BATCH_GET_LIMIT = 100;
const MAX_BATCH_ATTEMPTS = 8;

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
    options: { consistent?: boolean } = {},
  ): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: options.consistent ?? true }),
    );
    return Item ? schema.parse(Item) : undefined;
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

  /** Puts an item only if the condition holds; otherwise throws `ConditionFailedError`. */
  async putIf(item: Item, condition: string, values?: Record<string, unknown>): Promise<void> {
    await this.conditional(
      new PutCommand({
        TableName: this.name,
        Item: item,
        ConditionExpression: condition,
        ...(values ? { ExpressionAttributeValues: values } : {}),
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
   * Sets attributes on an existing item if the condition holds, returning the item as it is
   * afterwards; otherwise throws `ConditionFailedError`.
   */
  async setIf(
    key: Key,
    attributes: Record<string, unknown>,
    condition: string,
    values: Record<string, unknown>,
  ): Promise<Item> {
    const names = Object.keys(attributes);
    const command = new UpdateCommand({
      TableName: this.name,
      Key: key,
      UpdateExpression: `SET ${names.map((_, index) => `#a${index} = :a${index}`).join(', ')}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: Object.fromEntries(names.map((name, index) => [`#a${index}`, name])),
      ExpressionAttributeValues: {
        ...values,
        ...Object.fromEntries(names.map((name, index) => [`:a${index}`, attributes[name]])),
      },
      ReturnValues: 'ALL_NEW',
    });
    try {
      const result = await this.client.send(command);
      return result.Attributes ?? {};
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }

  /** Removes attributes from an item if the condition holds; otherwise throws `ConditionFailedError`. */
  async removeIf(
    key: Key,
    attributes: string[],
    condition: string,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: `REMOVE ${attributes.map((_, index) => `#r${index}`).join(', ')}`,
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.fromEntries(attributes.map((name, index) => [`#r${index}`, name])),
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }

  private async conditional(command: PutCommand | DeleteCommand): Promise<void> {
    try {
      // The union is narrowed by the overloads of send; both commands resolve to the same shape.
      await this.client.send(command as PutCommand);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConditionFailedError({ cause: error });
      throw error;
    }
  }
}

export function keyString(key: Key): string {
  return `${key.pk}|${key.sk}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
