import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { abandonDelivery, deliverWebhook } from '../lib/events/deliver';
import { readDeliveryJob } from '../lib/events/jobs';
import { logError, observedFunction } from '../lib/observability';
import { prepareAtColdStart, services } from '../lib/services';

prepareAtColdStart(services);

/**
 * The queue gives a job to its dead-letter queue after this many receives (serverless.yml,
 * WebhookQueue's maxReceiveCount); a job that keeps failing to run is settled as failed before.
 */
const MAX_RECEIVES = 30;

/**
 * The webhook delivery queue (SQS; locally its stand-in in the table). The batch's deliveries run
 * side by side, so that one slow endpoint does not hold the others past the function's timeout. A
 * delivery to retry stays in the queue, visible again after its backoff (ReportBatchItemFailures);
 * a settled one is removed.
 */
export const handler = observedFunction(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const outcomes = await Promise.all(event.Records.map(handleRecord));
  return {
    batchItemFailures: event.Records.flatMap((record, index) =>
      outcomes[index] === 'retry' ? [{ itemIdentifier: record.messageId }] : [],
    ),
  };
});

async function handleRecord(record: SQSRecord): Promise<'done' | 'retry'> {
  const deps = services();
  const job = readDeliveryJob(record.body);
  if (!job) return 'done'; // not a job: dropping it is all there is to do
  try {
    const outcome = await deliverWebhook(deps, job);
    if (outcome.kind === 'done') return 'done';
    await deps.deliveryQueue.retryLater(record.receiptHandle, outcome.afterSeconds);
    return 'retry';
  } catch (error) {
    logError('webhook delivery failed to run', error, { messageId: record.messageId });
    if (Number(record.attributes.ApproximateReceiveCount) < MAX_RECEIVES - 1) return 'retry';
    await abandonDelivery(deps, job, 'the delivery could not be carried out').catch(() => undefined);
    return 'done';
  }
}
