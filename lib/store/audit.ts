import { auditRecordSchema, type AuditRecord } from '../model';
import { EXPIRES_ATTRIBUTE, keys, type AuditScope } from './keys';
import type { AuditListFilter, AuditRepository } from './ports';
import type { Table } from './table';

/** Filtered pages stop reading after this many records, and say where to go on. */
const FILTERED_READ_BUDGET = 1000;

/**
 * The audit trail: one partition per workspace (tenant-level requests in their tenant's), records
 * in id order, which is time order (UUIDv7 from the request's clock): a time range is a range of
 * sort keys. Other filters are applied while reading, with a bounded read per page.
 */
export class AuditStore implements AuditRepository {
  constructor(private readonly table: Table) {}

  async put(record: AuditRecord, expiresAt: Date): Promise<void> {
    await this.table.put({
      ...keys.auditRecord(scopeOf(record), record.id),
      ...record,
      // For filter[actor] and filter[auth_secret], which FilterExpression reads at the top level.
      actorUserId: record.actor.userId,
      authSecretId: record.targets.authSecretId ?? null,
      [EXPIRES_ATTRIBUTE]: Math.floor(expiresAt.getTime() / 1000),
    });
  }

  async list(
    workspaceId: string,
    filter: AuditListFilter,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<{ records: AuditRecord[]; next: string | undefined }> {
    const { pk } = keys.auditRecord({ workspaceId }, '');
    const sinceKey = filter.since === undefined ? undefined : timePrefix(Date.parse(filter.since));
    const low =
      [page.after, sinceKey]
        .filter((key) => key !== undefined)
        .sort()
        .at(-1) ?? '0';
    const high = filter.until === undefined ? 'g' : timePrefix(Date.parse(filter.until) + 1);
    const conditions: string[] = [];
    const values: Record<string, unknown> = { ':pk': pk, ':low': low, ':high': high };
    if (filter.actorUserId !== undefined) {
      conditions.push('actorUserId = :actor');
      values[':actor'] = filter.actorUserId;
    }
    if (filter.action !== undefined) {
      conditions.push('#action = :action');
      values[':action'] = filter.action;
    }
    if (filter.authSecretId !== undefined) {
      conditions.push('authSecretId = :secret');
      values[':secret'] = filter.authSecretId;
    }
    const { items, more, stoppedAt } = await this.table.queryFeedPage(
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
        ExpressionAttributeValues: values,
        ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
        ...(filter.action !== undefined ? { ExpressionAttributeNames: { '#action': 'action' } } : {}),
      },
      // BETWEEN includes its low end: the record the cursor names was on the last page.
      { limit: page.limit, readBudget: FILTERED_READ_BUDGET, skip: (item) => item.sk === page.after },
    );
    const records = items.map((item) => auditRecordSchema.parse(item));
    if (stoppedAt) return { records, next: String(stoppedAt.sk) };
    return { records, next: more ? records.at(-1)?.id : undefined };
  }
}

function scopeOf(record: AuditRecord): AuditScope {
  if (record.workspaceId !== null) return { workspaceId: record.workspaceId };
  if (record.tenantId !== null) return { tenantId: record.tenantId };
  return 'unscoped';
}

/**
 * The start of the ids made at `ms` (a UUIDv7 begins with its milliseconds in hex): every id made
 * at or after `ms` sorts at or after it, every id made before sorts before it.
 */
function timePrefix(ms: number): string {
  const hex = Math.max(0, ms).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}
