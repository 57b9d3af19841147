import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliverWebhook } from '../lib/events/deliver';
import { readDeliveryJob } from '../lib/events/jobs';
import { logError } from '../lib/log';
import { prepareAtColdStart, services } from '../lib/services';

prepareAtColdStart(services);

/**
 * The webhook delivery queue (SQS; locally its stand-in in the table). A delivery to retry stays
 * in the queue, visible again after its backoff (ReportBatchItemFailures); one that is settled is
 * removed. Jobs that keep crashing the worker end in the dead-letter queue.
 */
export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const deps = services();
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      const job = readDeliveryJob(record.body);
      if (!job) continue; // not a job: dropping it is all there is to do
      const outcome = await deliverWebhook(deps, job);
      if (outcome.kind === 'retry') {
        await deps.deliveryQueue.retryLater(record.receiptHandle, outcome.afterSeconds);
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    } catch (error) {
      logError('webhook delivery failed to run', error, { messageId: record.messageId });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
};
