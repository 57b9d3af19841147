import { randomUUID } from 'node:crypto';
import { NotFoundError, UnprocessableError } from '../errors';
import {
  intervalDueFrom,
  refreshDueAt,
  type AuthClient,
  type RefreshError,
  type SecretRecord,
} from '../model';
import type { Services } from '../services';
import { logger } from '../observability';
import { openCredentials, secretBinding } from '../secrets/view';
import type { TokenOutcome } from './tokenEndpoint';
import { requestProviderTokens, tokenCredentials, tokenLifetime } from './providerTokens';
import { withChange } from '../events/change';

type Deps = Pick<Services, 'authClients' | 'secrets' | 'envelope' | 'config'>;

export type RefreshResult =
  /** This call talked to the provider; `outcome` says how it went, `secret` is what was stored. */
  | { readonly kind: 'ran'; readonly outcome: TokenOutcome; readonly secret: SecretRecord }
  /**
   * Another refresh held the lease (or had just finished); this call returns what it stored.
   * `answer` is that refresh's outcome, or undefined when it did not finish in time.
   */
  | { readonly kind: 'waited'; readonly secret: SecretRecord; readonly answer: StoredOutcome | undefined }
  /** A scheduled refresh found the secret leased, or no longer due, and left it alone. */
  | { readonly kind: 'skipped'; readonly why: 'leased' | 'not_due' };

/** A refresh outcome as the secret records it (no tokens). */
export type StoredOutcome =
  | { readonly kind: 'success' }
  | { readonly kind: 'permanent'; readonly error: string; readonly description: string }
  | { readonly kind: 'transient'; readonly reason: string; readonly description: string };

const POLL_INTERVAL_MS = 100;
const BACKOFF_BASE_MS = 60_000;
const BACKOFF_MAX_MS = 3_600_000;

/**
 * Refreshes one oauth2 secret, at most once at a time (the API and the scheduler both come here).
 *
 * Main course: take the secret's lease (a conditional write that only one caller wins); run the
 * refresh_token grant; store the outcome and give the lease back in one conditional write.
 * Callers that find the lease taken wait for it to be given back and return what was stored,
 * so simultaneous refreshes spend the refresh token once. The lease outlives the token request's
 * timeout, so no second refresh can start while the first may still save its result.
 */
export async function refreshSecret(
  deps: Deps,
  workspaceId: string,
  secretId: string,
  options: {
    now?: () => number;
    requestedAt?: number;
    /**
     * For the scheduled run: never wait on another holder, and refresh only if the secret is
     * still due by `horizon` (its state, expiry or backoff may have changed since the index said so).
     */
    scheduled?: { horizon: string };
    /** Who asked (on demand), for the credential version it stores; null for the schedule. */
    actorUserId?: string | null;
  } = {},
): Promise<RefreshResult> {
  const now = options.now ?? Date.now;
  // A refresh outcome stored after the request arrived (or just before: see outcomeAnswering)
  // answers it too: a request that queued behind a refresh in flight must not spend the new token again.
  const requestedAt = options.requestedAt ?? now();
  const coalesceMs = deps.config.refreshCoalesceSeconds * 1000;
  const answering = (secret: SecretRecord) => outcomeAnswering(secret, requestedAt, coalesceMs);
  const leaseMs = deps.config.refreshTimeoutMs + 7000;
  const owner = randomUUID();
  let leased: SecretRecord | undefined;
  // Take the lease, or wait for its holder's outcome. A holder that died without one leaves an
  // expired lease behind, which the next round takes over.
  for (let round = 0; !leased; round++) {
    leased = await deps.secrets.acquireLease(workspaceId, secretId, owner, now(), leaseMs);
    if (leased) break;
    // Not taken: the secret is gone, cannot be refreshed, or another refresh holds it. Only the
    // last is worth waiting for; the common path (lease taken) reads nothing beforehand.
    requireRefreshable(await deps.secrets.get(workspaceId, secretId));
    if (options.scheduled) return { kind: 'skipped', why: 'leased' };
    const latest = await waitForLease(deps, workspaceId, secretId, now, leaseMs);
    const answer = answering(latest);
    if (answer || round >= 1) return { kind: 'waited', secret: latest, answer };
  }
  if (options.scheduled && !stillDue(leased, options.scheduled.horizon, new Date(now()).toISOString())) {
    await deps.secrets.releaseLease(workspaceId, secretId, owner);
    return { kind: 'skipped', why: 'not_due' };
  }
  const answer = answering(leased);
  if (answer) {
    // Another refresh finished just before or since the request's arrival: its result answers us too.
    await deps.secrets.releaseLease(workspaceId, secretId, owner);
    return { kind: 'waited', secret: leased, answer };
  }
  try {
    return await refreshUnderLease(deps, leased, owner, { now, requestedAt }, options.actorUserId ?? null);
  } catch (error) {
    // Whatever failed (KMS, DynamoDB), the lease must not keep the secret blocked.
    await deps.secrets.releaseLease(workspaceId, secretId, owner).catch(() => undefined);
    throw error;
  }
}

function requireRefreshable(secret: SecretRecord | undefined): void {
  if (!secret) throw new NotFoundError('No such auth-secret in this workspace.');
  if (secret.authType !== 'oauth2') {
    throw new UnprocessableError(
      'refresh_not_supported',
      'Refresh not supported',
      'This secret belongs to an auth-client of type other, which has no token endpoint to refresh at.',
    );
  }
}

function stillDue(secret: SecretRecord, horizon: string, nowIso: string): boolean {
  const dueAt = refreshDueAt(secret);
  return (
    secret.authType === 'oauth2' &&
    secret.state === 'ready' &&
    dueAt !== null &&
    dueAt <= horizon &&
    (secret.nextAttemptAt === null || secret.nextAttemptAt <= nowIso)
  );
}

/** Talks to the provider and stores the outcome, giving the lease back. */
async function refreshUnderLease(
  deps: Deps,
  leased: SecretRecord,
  owner: string,
  clock: { readonly now: () => number; readonly requestedAt: number },
  actorUserId: string | null,
): Promise<RefreshResult> {
  const { now } = clock;
  const { workspaceId, id: secretId } = leased;
  const client = await deps.authClients.get(leased.tenantId, leased.authClientId);
  const outcome = await talkToProvider(deps, leased, client);
  const giveUpMs = deps.config.refreshGiveUpSeconds * 1000;
  const sealedSuccess = outcome.kind === 'success' ? await sealSuccess(deps, leased, outcome) : undefined;
  const saved = await deps.secrets.saveUnderLease(
    workspaceId,
    secretId,
    owner,
    (current) => {
      // The outcome is stamped as late as possible, right before it is written, so that every
      // request that found this refresh in flight arrived before the stamp (see outcomeAnswering).
      // expires_at counts from it too (milliseconds later than the answer: nothing a 10-minute
      // refresh window notices), so that it stays refreshed_at + expires_in.
      const at = new Date(now());
      const base = { ...current, updatedAt: at.toISOString() };
      if (sealedSuccess) {
        return withChange(
          {
            ...base,
            ...sealedSuccess.fields(at),
            state: 'ready',
            error: null,
            refreshedAt: at.toISOString(),
            refreshError: null,
            refreshFailures: 0,
            failingSince: null,
            nextAttemptAt: null,
            // The interval counts from this refresh, as the auth-client has it now.
            intervalDueAt: client ? intervalDueFrom(client, at) : null,
          },
          'auth_secret.refreshed',
          at,
          { previous: current },
        );
      }
      // A failure continues the current run of failures, or starts one.
      const failures = {
        refreshFailures: current.refreshFailures + 1,
        failingSince: current.failingSince ?? at.toISOString(),
      };
      if (outcome.kind === 'permanent') {
        const refreshError: RefreshError = {
          code: outcome.error,
          description: outcome.description,
          at: at.toISOString(),
          transient: false,
        };
        return withChange(
          {
            ...base,
            ...failures,
            state: 'error',
            error: outcome.description ? `${outcome.error}: ${outcome.description}` : outcome.error,
            refreshError,
            nextAttemptAt: null,
          },
          'auth_secret.reconnect_required',
          at,
          { errorCode: refreshError.code },
        );
      }
      const refreshError: RefreshError = {
        code: outcome.kind === 'transient' ? outcome.reason : 'unknown',
        description: outcome.kind === 'transient' ? outcome.description : '',
        at: at.toISOString(),
        transient: true,
      };
      // Transient failures are retried with backoff until they have gone on for REFRESH_GIVE_UP_SECONDS:
      // then the grant is as good as dead to the platform, which must hear so and ask its user again.
      if (current.state === 'ready' && at.getTime() - Date.parse(failures.failingSince) >= giveUpMs) {
        return withChange(
          {
            ...base,
            ...failures,
            state: 'error',
            error: `gave up after ${duration(deps.config.refreshGiveUpSeconds)} of failed refreshes: ${refreshError.description || refreshError.code}`,
            refreshError,
            nextAttemptAt: null,
          },
          'auth_secret.reconnect_required',
          at,
          { errorCode: refreshError.code },
        );
      }
      return withChange(
        {
          ...base,
          ...failures,
          refreshError,
          nextAttemptAt: new Date(at.getTime() + backoffMs(failures.refreshFailures)).toISOString(),
        },
        'auth_secret.refresh_failed',
        at,
        { errorCode: refreshError.code },
      );
    },
    { source: 'refresh', actorUserId },
  );
  if (!saved) {
    // The secret was deleted, given new credentials, or (the lease expired) refreshed by another
    // call while the provider answered; or it kept changing under the save. Give the lease back in
    // case it is still ours: it must not hold the secret's writes off until it expires.
    if (outcome.kind === 'success') logger.error('refresh result discarded: lease lost', { secretId });
    await deps.secrets.releaseLease(workspaceId, secretId, owner).catch(() => undefined);
    const latest = await deps.secrets.get(workspaceId, secretId);
    if (!latest) throw new NotFoundError('No such auth-secret in this workspace.');
    return {
      kind: 'waited',
      secret: latest,
      answer: answerAfterLostLease(leased, latest, clock.requestedAt),
    };
  }
  return { kind: 'ran', outcome, secret: saved };
}

/**
 * What answers a refresh whose own result could not be stored. Working credentials that replaced
 * the ones it started from answer it as a success: a reconnect (the user's fresh consent outranks a
 * refresh in flight) or another refresh that took an expired lease over are newer than any token it
 * could have stored. Otherwise, an outcome stored since the request arrived answers it.
 */
function answerAfterLostLease(
  leased: SecretRecord,
  latest: SecretRecord,
  requestedAt: number,
): StoredOutcome | undefined {
  const replacedAndWorking =
    latest.sealedCredentials !== leased.sealedCredentials &&
    latest.state === 'ready' &&
    latest.refreshError === null;
  return replacedAndWorking ? { kind: 'success' } : outcomeAnswering(latest, requestedAt, 0);
}

/**
 * The stored outcome that answers a refresh request which arrived at `requestedAt` (epoch ms), if
 * any. An outcome stored after the arrival always answers it: the request found that refresh in
 * flight. A success or a permanent refusal stored up to `coalesceMs` before the arrival answers it
 * too: requests sent together can be stamped on arrival after the first of them has finished (a
 * busy front door, cold instances), and a second token request gains nothing then but risks a
 * rotating grant and the provider's rate limit. A transient failure answers only requests that
 * arrived before it was stored: retrying is the point of a later request.
 */
export function outcomeAnswering(
  secret: SecretRecord,
  requestedAt: number,
  coalesceMs: number,
): StoredOutcome | undefined {
  // A recorded error is newer than the last success: a success clears it.
  const { refreshError, refreshedAt } = secret;
  if (refreshError) {
    const storedAt = Date.parse(refreshError.at);
    if (refreshError.transient) {
      return storedAt >= requestedAt
        ? { kind: 'transient', reason: refreshError.code, description: refreshError.description }
        : undefined;
    }
    return storedAt >= requestedAt - coalesceMs
      ? { kind: 'permanent', error: refreshError.code, description: refreshError.description }
      : undefined;
  }
  if (refreshedAt !== null && Date.parse(refreshedAt) >= requestedAt - coalesceMs) return { kind: 'success' };
  return undefined;
}

async function talkToProvider(
  deps: Deps,
  secret: SecretRecord,
  client: AuthClient | undefined,
): Promise<TokenOutcome> {
  // A client credentials token is renewed by asking for a new one: there is no refresh token.
  if (client?.grantType === 'client_credentials') {
    const outcome = await requestProviderTokens(deps, client, { type: 'client_credentials' });
    if (outcome.kind !== 'success') return outcome;
    return { ...outcome, expiresIn: tokenLifetime(deps, client, outcome.expiresIn) };
  }
  const credentials = await openCredentials(deps.envelope, secret);
  if (typeof credentials.refresh_token !== 'string') {
    return { kind: 'permanent', error: 'invalid_grant', description: 'the secret holds no refresh token' };
  }
  const outcome = await requestProviderTokens(deps, client, {
    type: 'refresh_token',
    refreshToken: credentials.refresh_token,
  });
  if (outcome.kind !== 'success') return outcome;
  // Keep what the provider did not send: the old refresh token, and a lifetime from the client.
  return {
    ...outcome,
    refreshToken: outcome.refreshToken ?? credentials.refresh_token,
    expiresIn: tokenLifetime(deps, client, outcome.expiresIn),
  };
}

async function sealSuccess(
  deps: Deps,
  secret: SecretRecord,
  outcome: Extract<TokenOutcome, { kind: 'success' }>,
) {
  // talkToProvider has filled in the refresh token and lifetime the provider may have left out.
  const expiresIn = outcome.expiresIn ?? deps.config.defaultTokenLifetimeSeconds;
  const credentials = tokenCredentials({ ...outcome, expiresIn });
  const sealedCredentials = await deps.envelope.seal(credentials, secretBinding(secret));
  return {
    fields: (at: Date) => ({
      sealedCredentials,
      expiresAt: new Date(at.getTime() + expiresIn * 1000).toISOString(),
    }),
  };
}

async function waitForLease(
  deps: Deps,
  workspaceId: string,
  secretId: string,
  now: () => number,
  leaseMs: number,
): Promise<SecretRecord> {
  const deadline = now() + leaseMs + 1000;
  for (;;) {
    const secret = await deps.secrets.get(workspaceId, secretId);
    if (!secret) throw new NotFoundError('No such auth-secret in this workspace.');
    if (secret.leaseUntil === undefined || secret.leaseUntil < now() || now() > deadline) return secret;
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Exponential backoff with jitter: 1, 2, 4 … 60 minutes, each somewhere in its upper half. */
export function backoffMs(failures: number, random: () => number = Math.random): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random() * 0.5));
}

/** A number of seconds in words, in the largest unit that divides it ("3 days", "90 minutes"). */
export function duration(seconds: number): string {
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
    ['second', 1],
  ];
  const [unit, size] = units.find(([, length]) => seconds % length === 0) ?? ['second', 1];
  const count = seconds / size;
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}
