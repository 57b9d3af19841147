import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryJob, DeliveryQueue } from './ports';

/** SendMessageBatch takes at most 10 messages. */
const SEND_BATCH_LIMIT = 10;

/**
 * The webhook delivery queue on AWS. The SDK module and `client` are loaded on first use: of every
 * function that builds the services, only the two event functions queue jobs.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly client: () => Promise<SQSClient>,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobs: readonly DeliveryJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const [client, { SendMessageBatchCommand }] = await Promise.all([
      this.client(),
      import('@aws-sdk/client-sqs'),
    ]);
    for (let start = 0; start < jobs.length; start += SEND_BATCH_LIMIT) {
      const batch = jobs.slice(start, start + SEND_BATCH_LIMIT);
      const result = await client.send(
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
    const [client, { ChangeMessageVisibilityCommand }] = await Promise.all([
      this.client(),
      import('@aws-sdk/client-sqs'),
    ]);
    await client.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: delaySeconds,
      }),
    );
  }
}
