import { webhookSchema, type Webhook } from '../model';
import { putNew } from './createGuard';
import { keys, webhooksOfTenant } from './keys';
import type { WebhookRepository } from './ports';
import { parseKeyed, type Table } from './table';

const webhookKeyOf = (webhook: Webhook) => keys.webhook(webhook.tenantId, webhook.id);
const webhookItem = (webhook: Webhook) => ({ ...webhookKeyOf(webhook), entity: 'webhook', ...webhook });

/** Webhooks, in their tenant's partition beside its auth-clients. */
export class WebhookStore implements WebhookRepository {
  constructor(private readonly table: Table) {}

  async create(webhook: Webhook): Promise<void> {
    await putNew(this.table, webhookItem(webhook));
  }

  get(tenantId: string, webhookId: string): Promise<Webhook | undefined> {
    return this.table.get(keys.webhook(tenantId, webhookId), webhookSchema, { keyOf: webhookKeyOf });
  }

  async replace(webhook: Webhook, expectedVersion: number): Promise<void> {
    await this.table.putIf(webhookItem(webhook), 'attribute_exists(pk) AND version = :expected', {
      ':expected': expectedVersion,
    });
  }

  async delete(tenantId: string, webhookId: string, expectedVersion?: number): Promise<void> {
    if (expectedVersion === undefined) {
      await this.table.deleteIf(keys.webhook(tenantId, webhookId), 'attribute_exists(pk)');
      return;
    }
    await this.table.deleteIf(
      keys.webhook(tenantId, webhookId),
      'attribute_exists(pk) AND version = :expected',
      {
        ':expected': expectedVersion,
      },
    );
  }

  async list(tenantId: string): Promise<Webhook[]> {
    const { pk, skPrefix } = webhooksOfTenant(tenantId);
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ConsistentRead: true,
    });
    return items.map((item) => parseKeyed(item, webhookSchema, webhookKeyOf));
  }
}
