import type { AuditRecord, Membership } from '../model';
import type { Services } from '../services';
import type { AuditListFilter } from '../store/ports';

type Deps = Pick<Services, 'audit'>;

/** An audit record as GET …/audit-events shows it. */
function auditResource(record: AuditRecord) {
  return {
    id: record.id,
    type: 'audit-event',
    attributes: {
      at: record.at,
      action: record.action,
      actor: { kind: record.actor.kind, user_id: record.actor.userId, api_key_id: record.actor.apiKeyId },
      targets: Object.fromEntries(Object.entries(record.targets).map(([name, id]) => [snakeCase(name), id])),
      status: record.status,
      source_ip: record.sourceIp,
      user_agent: record.userAgent,
      request_id: record.requestId,
    },
  };
}

const snakeCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

/** A workspace's audit trail, oldest first, after `page.after`. */
export async function listAuditRecords(
  deps: Deps,
  membership: Membership,
  filter: AuditListFilter,
  page: { after?: string; limit: number },
) {
  const { records, next } = await deps.audit.list(membership.workspaceId, filter, page);
  return { resources: records.map(auditResource), next };
}
