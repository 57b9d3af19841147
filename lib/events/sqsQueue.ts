import type { SQSClient } from '@aws-sdk/client-sqs';
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { DeliveryJob, DeliveryQueue } from './ports';

/** SendMessageBatch takes at most 10 messages. */
const SEND_BATCH_LIMIT = 10;

/** The webhook delivery queue on AWS. */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    for (let start = 0; start < jobs.length; start += SEND_BATCH_LIMIT) {
      const batch = jobs.slice(start, start + SEND_BATCH_LIMIT);
      const result = await this.client.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((job, index) => ({ Id: String(index), MessageBody: JSON.stringify(job) })),
        }),
      );
      if (result.Failed?.length) {
        throw new Error(`SQS refused ${result.Failed.length} of ${batch.length} delivery jobs`);
      }
    }
  }

  async retryLater(receiptHandle: string, delaySeconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    );
  }
}
