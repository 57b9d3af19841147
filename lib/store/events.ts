import * as z from 'zod';
import type { SecretEvent } from '../events/secretEvents';
import { deliverySchema, SECRET_EVENT_TYPES, type Delivery } from '../model';
import { EXPIRES_ATTRIBUTE, keys } from './keys';
import type { DeliveryRepository, EventListFilter, EventPage, EventRepository } from './ports';
import { ConditionFailedError, parseKeyed, type Table } from './table';

/** Filtered pages stop reading after this many events, and say where to go on. */
const FILTERED_READ_BUDGET = 1000;

const storedEventSchema = z.object({ body: z.string() });

const eventBodySchema = z.object({
  id: z.string(),
  type: z.enum(SECRET_EVENT_TYPES),
  occurred_at: z.string(),
  data: z.object({
    tenant_id: z.string(),
    workspace_id: z.string(),
    auth_secret_id: z.string(),
    auth_client_id: z.string(),
    user_id: z.string(),
    state: z.enum(['ready', 'error']),
    error: z.string().nullable(),
    error_code: z.string().nullable(),
  }),
});

/** Parses an event's stored JSON (events and deliveries keep it as sent). */
export function parseEventBody(body: string): SecretEvent {
  return eventBodySchema.parse(JSON.parse(body));
}

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

/**
 * A workspace's events in one partition, sorted by event id (UUIDv7: time order). Each expires by
 * the table's TTL. Filters are applied while reading (events of a workspace are few enough per
 * day that a bounded read serves them), and a filtered page says where it stopped.
 */
export class EventStore implements EventRepository {
  constructor(private readonly table: Table) {}

  async putAll(events: readonly SecretEvent[], expiresAt: Date): Promise<void> {
    // A stored event is never changed: putting the same event again (a retried batch) writes the
    // same item.
    await Promise.all(
      events.map((event) =>
        this.table.put({
          ...keys.event(event.data.workspace_id, event.id),
          type: event.type,
          authSecretId: event.data.auth_secret_id,
          body: JSON.stringify(event),
          [EXPIRES_ATTRIBUTE]: epochSeconds(expiresAt),
        }),
      ),
    );
  }

  async list(
    workspaceId: string,
    filter: EventListFilter,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<EventPage> {
    const { pk } = keys.event(workspaceId, '');
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ':pk': pk };
    // DynamoDB refuses an empty key value: without a cursor, the partition from its start.
    if (page.after !== undefined) values[':after'] = page.after;
    if (filter.types?.length) {
      conditions.push(`#type IN (${filter.types.map((_, index) => `:t${index}`).join(', ')})`);
      filter.types.forEach((type, index) => (values[`:t${index}`] = type));
    }
    if (filter.authSecretId !== undefined) {
      conditions.push('authSecretId = :secret');
      values[':secret'] = filter.authSecretId;
    }
    const filtered = conditions.length > 0;
    const events: SecretEvent[] = [];
    let read = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const result = await this.table.queryPage({
        KeyConditionExpression: page.after === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: values,
        ...(filtered ? { FilterExpression: conditions.join(' AND ') } : {}),
        // DynamoDB refuses names an expression does not use.
        ...(filter.types?.length ? { ExpressionAttributeNames: { '#type': 'type' } } : {}),
        // One more than the page, to know whether another follows.
        Limit: filtered ? 200 : page.limit + 1,
        ExclusiveStartKey: startKey,
      });
      read += result.scanned;
      events.push(...result.items.map((item) => parseEventBody(storedEventSchema.parse(item).body)));
      startKey = result.lastKey;
    } while (startKey && events.length <= page.limit && read < FILTERED_READ_BUDGET);
    if (events.length > page.limit) {
      const shown = events.slice(0, page.limit);
      return { events: shown, next: shown.at(-1)?.id };
    }
    // Stopped by the read budget: go on after the last event read, matching or not.
    return { events, next: startKey ? String(startKey.sk) : undefined };
  }
}

const deliveryItem = (delivery: Delivery, expiresAt: Date) => ({
  ...keys.delivery(delivery.webhookId, delivery.eventId),
  ...delivery,
  [EXPIRES_ATTRIBUTE]: epochSeconds(expiresAt),
});

const deliveryKeyOf = (delivery: Delivery) => keys.delivery(delivery.webhookId, delivery.eventId);

export class DeliveryStore implements DeliveryRepository {
  constructor(private readonly table: Table) {}

  async createIfAbsent(delivery: Delivery, expiresAt: Date): Promise<boolean> {
    try {
      await this.table.putIf(deliveryItem(delivery, expiresAt), 'attribute_not_exists(pk)');
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  get(webhookId: string, eventId: string): Promise<Delivery | undefined> {
    return this.table.get(keys.delivery(webhookId, eventId), deliverySchema, { keyOf: deliveryKeyOf });
  }

  async update(delivery: Delivery, expiresAt: Date): Promise<void> {
    await this.table.put(deliveryItem(delivery, expiresAt));
  }

  async list(
    webhookId: string,
    page: { readonly before?: string; readonly limit: number },
  ): Promise<{ deliveries: Delivery[]; next: string | undefined }> {
    const { pk } = keys.delivery(webhookId, '');
    const result = await this.table.queryPage({
      KeyConditionExpression: page.before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before',
      ExpressionAttributeValues: {
        ':pk': pk,
        ...(page.before === undefined ? {} : { ':before': page.before }),
      },
      ScanIndexForward: false,
      Limit: page.limit + 1,
    });
    const deliveries = result.items.map((item) => parseKeyed(item, deliverySchema, deliveryKeyOf));
    if (deliveries.length <= page.limit) return { deliveries, next: undefined };
    const shown = deliveries.slice(0, page.limit);
    return { deliveries: shown, next: shown.at(-1)?.eventId };
  }
}
