import type { DynamoDBStreamEvent } from 'aws-lambda';
import { publishSecretEvents } from '../lib/events/publish';
import { observedFunction } from '../lib/observability';
import { prepareAtColdStart, services } from '../lib/services';
import { secretWritesOf } from '../lib/store/secretStream';

prepareAtColdStart(services);

/**
 * The table's stream (auth-secret items only, by the event source's filter): events to the list,
 * the bus and the webhook queue. A failure fails the batch, which Lambda retries (bisecting it)
 * and finally sends to the dead-letter queue; locally the pump retries it.
 */
export const handler = observedFunction(async (event: DynamoDBStreamEvent) =>
  publishSecretEvents(services(), secretWritesOf(event.Records)),
);
