import * as z from 'zod';
import type { SecretEvent } from '../events/secretEvents';
import { deliverySchema, SECRET_EVENT_TYPES, type Delivery } from '../model';
import { EXPIRES_ATTRIBUTE, keys } from './keys';
import type { DeliveryRepository, EventListFilter, EventPage, EventRepository } from './ports';
import { ConditionFailedError, parseKeyed, TransactionConditionFailedError, type Table } from './table';

/** Filtered pages stop reading after this many events, and say where to go on. */
const FILTERED_READ_BUDGET = 1000;

const storedEventSchema = z.object({ eventId: z.string(), body: z.string() });

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
    revision: z.number().int().optional(),
  }),
});

/** Parses an event's stored JSON (events and deliveries keep it as sent). */
export function parseEventBody(body: string): SecretEvent {
  return eventBodySchema.parse(JSON.parse(body));
}

const epochSeconds = (at: Date) => Math.floor(at.getTime() / 1000);

const counterSchema = z.object({ count: z.number().int() });
const eventByIdSchema = z.object({ workspaceId: z.string(), position: z.number().int() });

/** How many times a store of one event re-reads the workspace's counter before giving up. */
const COUNTER_ATTEMPTS = 20;

/**
 * A workspace's events in one partition, in the order they were stored. Each event takes the next
 * position of its workspace in one transaction with the counter (conditional on the value read)
 * and with an item under its id (which must not exist yet): an event is stored once however often
 * its batch is retried, and an event that a reader sees is never followed by one stored before it
 * at a lower position. So a client polling with page[after] never skips an event, which ordering by
 * the writers' clocks (different Lambdas, a stream that retries) could not promise. Filters are
 * applied while reading, with a bounded read per page. Every item expires by the table's TTL.
 */
export class EventStore implements EventRepository {
  constructor(private readonly table: Table) {}

  async putAll(events: readonly SecretEvent[], expiresAt: Date): Promise<void> {
    // One after the other: events of one batch take positions in stream order.
    for (const event of events) await this.put(event, expiresAt);
  }

  private async put(event: SecretEvent, expiresAt: Date): Promise<void> {
    const workspaceId = event.data.workspace_id;
    const expires = { [EXPIRES_ATTRIBUTE]: epochSeconds(expiresAt) };
    for (let attempt = 0; attempt < COUNTER_ATTEMPTS; attempt++) {
      const counter = await this.table.get(keys.eventCounter(workspaceId), counterSchema);
      const position = (counter?.count ?? 0) + 1;
      try {
        await this.table.transact([
          {
            put: {
              Item: { ...keys.eventById(event.id), workspaceId, position, ...expires },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            put: {
              Item: { ...keys.eventCounter(workspaceId), count: position },
              ConditionExpression: counter ? '#count = :read' : 'attribute_not_exists(pk)',
              ...(counter
                ? {
                    ExpressionAttributeNames: { '#count': 'count' },
                    ExpressionAttributeValues: { ':read': counter.count },
                  }
                : {}),
            },
          },
          {
            put: {
              Item: {
                ...keys.event(workspaceId, position),
                eventId: event.id,
                type: event.type,
                authSecretId: event.data.auth_secret_id,
                body: JSON.stringify(event),
                ...expires,
              },
            },
          },
        ]);
        return;
      } catch (error) {
        if (!(error instanceof TransactionConditionFailedError)) throw error;
        // Stored already (a retried batch): done. Otherwise the counter moved: read it again.
        if (error.failed.includes(0)) return;
        await sleep(Math.random() * 10 * (attempt + 1));
      }
    }
    throw new Error(`the event counter of workspace ${workspaceId} kept moving`);
  }

  async list(
    workspaceId: string,
    filter: EventListFilter,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<EventPage> {
    const after = page.after === undefined ? undefined : await this.positionOf(workspaceId, page.after);
    if (after === null) return { events: [], next: undefined };
    const { pk } = keys.event(workspaceId, 0);
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ':pk': pk };
    // Without a cursor, the partition from its start.
    if (after !== undefined) values[':after'] = keys.event(workspaceId, after).sk;
    if (filter.types?.length) {
      conditions.push(`#type IN (${filter.types.map((_, index) => `:t${index}`).join(', ')})`);
      filter.types.forEach((type, index) => (values[`:t${index}`] = type));
    }
    if (filter.authSecretId !== undefined) {
      conditions.push('authSecretId = :secret');
      values[':secret'] = filter.authSecretId;
    }
    const { items, more, stoppedAt } = await this.table.queryFeedPage(
      {
        KeyConditionExpression: after === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: values,
        ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
        // DynamoDB refuses names an expression does not use.
        ...(filter.types?.length ? { ExpressionAttributeNames: { '#type': 'type' } } : {}),
        // A page must not miss an event that a page before it already passed (see the class).
        ConsistentRead: true,
      },
      { limit: page.limit, readBudget: FILTERED_READ_BUDGET },
    );
    const stored = items.map((item) => storedEventSchema.parse(item));
    const events = stored.map((entry) => parseEventBody(entry.body));
    // Stopped by the read budget: go on after the last event read, matching or not.
    if (stoppedAt) return { events, next: await this.idAt(stoppedAt) };
    return { events, next: more ? stored.at(-1)?.eventId : undefined };
  }

  /** The position of a workspace's event; null when it has no such event. */
  private async positionOf(workspaceId: string, eventId: string): Promise<number | null> {
    const stored = await this.table.get(keys.eventById(eventId), eventByIdSchema);
    return stored?.workspaceId === workspaceId ? stored.position : null;
  }

  /** The id of the event a Query stopped at (LastEvaluatedKey holds only its key). */
  private async idAt(key: Record<string, unknown>): Promise<string | undefined> {
    const item = await this.table.get({ pk: String(key.pk), sk: String(key.sk) }, storedEventSchema);
    return item?.eventId;
  }
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

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

  async markQueued(webhookId: string, eventId: string): Promise<void> {
    await this.table.updateIf(
      keys.delivery(webhookId, eventId),
      { set: { queued: true } },
      'attribute_exists(pk)',
      {},
    );
  }

  async update(delivery: Delivery, read: Pick<Delivery, 'attempts'>, expiresAt: Date): Promise<boolean> {
    try {
      await this.table.putIf(
        deliveryItem(delivery, expiresAt),
        '#status = :pending AND attempts = :attempts',
        { ':pending': 'pending', ':attempts': read.attempts },
        { '#status': 'status' },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
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
