import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBus } from './ports';
import type { SecretEvent } from './secretEvents';

/** The `source` of every event on the bus, for EventBridge rules to match. */
export const EVENT_SOURCE = 'auth-secrets';
/** PutEvents takes at most 10 entries. */
const PUT_EVENTS_LIMIT = 10;

/**
 * Publishes to the stack's EventBridge bus: source `auth-secrets`, detail-type the event type,
 * detail the event as webhooks receive it. A batch with failed entries throws, so the stream
 * batch is retried (consumers dedupe by the event id in the detail).
 */
export class EventBridgeBus implements EventBus {
  /** `client` is made on first use: only the stream's function publishes (see lib/services.ts). */
  constructor(
    private readonly client: () => Promise<EventBridgeClient>,
    private readonly busName: string,
  ) {}

  async publish(events: readonly SecretEvent[]): Promise<void> {
    if (events.length === 0) return;
    const [client, { PutEventsCommand }] = await Promise.all([
      this.client(),
      import('@aws-sdk/client-eventbridge'),
    ]);
    for (let start = 0; start < events.length; start += PUT_EVENTS_LIMIT) {
      const batch = events.slice(start, start + PUT_EVENTS_LIMIT);
      const result = await client.send(
        new PutEventsCommand({
          Entries: batch.map((event) => ({
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Detail: JSON.stringify(event),
            Time: new Date(event.occurred_at),
          })),
        }),
      );
      if ((result.FailedEntryCount ?? 0) > 0) {
        const codes = (result.Entries ?? []).flatMap((entry) => (entry.ErrorCode ? [entry.ErrorCode] : []));
        throw new Error(
          `EventBridge refused ${result.FailedEntryCount} of ${batch.length} events: ${codes.join(', ')}`,
        );
      }
    }
  }
}

/** Local mode has no EventBridge: events still reach webhooks and the events list. */
export const noEventBus: EventBus = { publish: async () => {} };
