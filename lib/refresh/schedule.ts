import { scheduledRefreshRecord, writeAuditRecord } from '../audit/trail';
import { count, logError, logger, Tally } from '../observability';
import type { Services } from '../services';
import { countRefresh, refreshOutcomeOf, thrownOutcome, type RefreshOutcome } from './outcomeMetrics';
import { refreshSecret } from './refreshSecret';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config' | 'audit'>;

export interface RefreshRunSummary {
  refreshed: number;
  failed: number;
  skipped: number;
}

interface Candidate {
  readonly workspaceId: string;
  readonly secretId: string;
  readonly dueAt: string;
}

/**
 * The scheduled refresh. Main course: read every shard of the due index up to now + window
 * (oauth2 secrets in `ready` state only: a permanent failure takes a secret out of the index);
 * leave out those still in backoff after a transient failure; refresh the rest, soonest expiry
 * first, `refreshConcurrency` at a time, starting none after `stopStartingAt`. What is not
 * reached is picked up by the next run. Logs one summary line, and counts each refresh's outcome
 * (`RefreshOutcomes`) and the run's backlog (`RefreshBacklog`: the secrets it found due, out of
 * backoff, and did not start before `stopStartingAt`).
 */
export async function refreshDueSecrets(
  deps: Deps,
  options: { stopStartingAt: number; now?: () => number },
): Promise<RefreshRunSummary> {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const horizon = new Date(startedAt + deps.config.refreshWindowSeconds * 1000).toISOString();
  const summary: RefreshRunSummary = { refreshed: 0, failed: 0, skipped: 0 };
  const outcomes = new Tally<RefreshOutcome>();
  let backlog = 0;
  const nowIso = new Date(startedAt).toISOString();
  const candidates: Candidate[] = [];
  for (const due of await deps.secrets.listDue(horizon)) {
    if (due.nextAttemptAt !== undefined && due.nextAttemptAt > nowIso) {
      summary.skipped++;
      continue;
    }
    candidates.push(due);
  }
  candidates.sort((a, b) => (a.dueAt < b.dueAt ? -1 : a.dueAt > b.dueAt ? 1 : 0));

  let next = 0;
  const worker = async () => {
    while (next < candidates.length) {
      const candidate = candidates[next++];
      if (!candidate) break;
      if (now() >= options.stopStartingAt) {
        summary.skipped++;
        backlog++;
        continue;
      }
      try {
        const result = await refreshSecret(deps, candidate.workspaceId, candidate.secretId, {
          now,
          scheduled: { horizon },
        });
        outcomes.add(refreshOutcomeOf(result));
        if (result.kind !== 'ran') summary.skipped++;
        else if (result.outcome.kind === 'success') summary.refreshed++;
        else summary.failed++;
        if (result.kind === 'ran') await recordRefresh(deps, result.secret, auditStatus(result.outcome), now);
      } catch (error) {
        summary.failed++;
        // A 4xx (gone, or no longer refreshable, since the index was read): nothing was due after all.
        outcomes.add(thrownOutcome(error) ?? { outcome: 'skipped', reason: 'not_due' });
        logError('scheduled refresh failed', error, { secretId: candidate.secretId });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.config.refreshConcurrency) }, worker));
  for (const { dimensions, value } of outcomes.entries()) {
    countRefresh('scheduled', dimensions, value);
  }
  count('RefreshBacklog', {}, backlog);
  logger.info('scheduled refresh', { ...summary, backlog, durationMs: now() - startedAt });
  return summary;
}

/** How a scheduled refresh ended, as an HTTP status (as the same refresh on demand would answer). */
function auditStatus(outcome: { kind: string; reason?: string }): number {
  if (outcome.kind === 'success') return 200;
  if (outcome.kind === 'permanent') return 502;
  return outcome.reason === 'timeout' ? 504 : 503;
}

/**
 * Each scheduled refresh leaves an audit record (actor `scheduler`), written after it ran: there is
 * no request to refuse, so a record that cannot be written is logged and the run goes on.
 */
async function recordRefresh(
  deps: Deps,
  secret: { tenantId: string; workspaceId: string; id: string },
  status: number,
  now: () => number,
): Promise<void> {
  try {
    await writeAuditRecord(deps, scheduledRefreshRecord(secret, status, new Date(now())));
  } catch (error) {
    logError('audit record of a scheduled refresh not written', error, { secretId: secret.id });
  }
}
