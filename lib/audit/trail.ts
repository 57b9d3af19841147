import { newId } from '../ids';
import { SCHEDULED_REFRESH_ACTION } from './actions';
import type { AuditRecord } from '../model';
import type { Services } from '../services';

type Deps = Pick<Services, 'audit' | 'config'>;

/** Writes a record of the audit trail, kept AUDIT_RETENTION_DAYS (90) by the table's TTL. */
export async function writeAuditRecord(deps: Deps, record: AuditRecord): Promise<void> {
  const keepUntil = new Date(Date.parse(record.at) + deps.config.auditRetentionDays * 86_400_000);
  await deps.audit.put(record, keepUntil);
}

/** The record of one scheduled refresh: the actor is the scheduler, the outcome a status. */
export function scheduledRefreshRecord(
  secret: { tenantId: string; workspaceId: string; id: string },
  status: number,
  at: Date,
): AuditRecord {
  return {
    id: newId(at.getTime()),
    at: at.toISOString(),
    workspaceId: secret.workspaceId,
    tenantId: secret.tenantId,
    actor: { kind: 'scheduler', userId: null, apiKeyId: null },
    action: SCHEDULED_REFRESH_ACTION,
    targets: { authSecretId: secret.id },
    status,
    sourceIp: null,
    userAgent: null,
    requestId: null,
  };
}
