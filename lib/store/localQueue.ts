import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { DeliveryJob, DeliveryQueue } from '../events/ports';
import { keys } from './keys';
import { ConditionFailedError, TransactionConditionFailedError, type Table } from './table';

/** A message as the local pump receives it, shaped after SQS's. */
export interface LocalQueueMessage {
  readonly messageId: string;
  /** Where the message is while in flight: hand it back to retryLater or remove. */
  readonly receiptHandle: string;
  readonly body: string;
  /** Including this receipt. */
  readonly receiveCount: number;
}

const messageSchema = z.object({
  sk: z.string(),
  messageId: z.string(),
  body: z.string(),
  receiveCount: z.number().int(),
});

/**
 * Local mode's stand-in for the SQS delivery queue, in the table itself, so that a job survives a
 * SIGKILL of `npm start` as it would survive a Lambda crash on AWS. A message's sort key is when it
 * becomes visible; receiving one moves it to "now + visibility timeout" (in flight), so that a pump
 * that dies holding it sees it again after the timeout, as SQS does.
 */
export class TableQueue implements DeliveryQueue {
  constructor(
    private readonly table: Table,
    private readonly queue = 'webhook-deliveries',
    private readonly now: () => number = Date.now,
  ) {}

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    const visibleAt = new Date(this.now()).toISOString();
    await Promise.all(
      jobs.map((job) => {
        const messageId = randomUUID();
        return this.table.put({
          ...keys.localQueueMessage(this.queue, visibleAt, messageId),
          messageId,
          body: JSON.stringify(job),
          receiveCount: 0,
        });
      }),
    );
  }

  /** Up to `max` visible messages, each now in flight for `visibilitySeconds`. */
  async receive(max: number, visibilitySeconds: number): Promise<LocalQueueMessage[]> {
    const { pk } = keys.localQueueMessage(this.queue, '', '');
    const { items } = await this.table.queryPage({
      KeyConditionExpression: 'pk = :pk AND sk <= :now',
      ExpressionAttributeValues: { ':pk': pk, ':now': `${new Date(this.now()).toISOString()}#\uffff` },
      Limit: max,
    });
    const received: LocalQueueMessage[] = [];
    for (const item of items) {
      const message = messageSchema.parse(item);
      const receiptHandle = await this.move(message, visibilitySeconds, message.receiveCount + 1);
      if (receiptHandle) received.push({ ...message, receiptHandle, receiveCount: message.receiveCount + 1 });
    }
    return received;
  }

  async retryLater(receiptHandle: string, delaySeconds: number): Promise<void> {
    const item = await this.table.get(
      { pk: keys.localQueueMessage(this.queue, '', '').pk, sk: receiptHandle },
      messageSchema,
    );
    if (item) await this.move(item, delaySeconds, item.receiveCount);
  }

  /** Removes a message that was handled (SQS does this for a Lambda that succeeded). */
  async remove(receiptHandle: string): Promise<void> {
    try {
      await this.table.deleteIf(
        { pk: keys.localQueueMessage(this.queue, '', '').pk, sk: receiptHandle },
        'attribute_exists(pk)',
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
    }
  }

  /** Moves a message to become visible after `seconds`; undefined when someone else moved it first. */
  private async move(
    message: z.infer<typeof messageSchema>,
    seconds: number,
    receiveCount: number,
  ): Promise<string | undefined> {
    const next = keys.localQueueMessage(
      this.queue,
      new Date(this.now() + seconds * 1000).toISOString(),
      message.messageId,
    );
    try {
      await this.table.transact([
        {
          delete: {
            Key: { pk: next.pk, sk: message.sk },
            ConditionExpression: 'attribute_exists(pk)',
          },
        },
        { put: { Item: { ...next, messageId: message.messageId, body: message.body, receiveCount } } },
      ]);
      return next.sk;
    } catch (error) {
      if (error instanceof TransactionConditionFailedError) return undefined;
      throw error;
    }
  }
}
