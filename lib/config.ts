/**
 * Runtime configuration, read from the environment once per container, validated at cold start
 * and frozen. A missing or malformed variable fails the cold start loudly instead of the first
 * request quietly.
 */
export interface Config {
  readonly tableName: string;
  /** The KMS key that wraps data keys; absent in local mode. */
  readonly kmsKeyId?: string;
  /** Local mode only: the file holding the key that stands in for KMS. */
  readonly localKeyFile?: string;
  /** How long a plaintext data key may be reused for new encryptions before a fresh one is made. */
  readonly dataKeyMaxAgeSeconds: number;
  /** Hosts whose token endpoints may be plain http (local mode: loopback). Everything else is https. */
  readonly tokenUrlHttpHosts: readonly string[];
  /** How long a token request may take before it counts as a timeout. */
  readonly refreshTimeoutMs: number;
  /**
   * A refresh on demand that arrives within this many seconds of a completed refresh (success or
   * permanent refusal) answers with that refresh's result instead of spending the grant again.
   */
  readonly refreshCoalesceSeconds: number;
  /** The EventBridge bus events are published to (AWS); absent locally, where there is none. */
  readonly eventBusName?: string;
  /** The SQS queue of webhook deliveries (AWS); absent locally, where the table stands in for it. */
  readonly webhookQueueUrl?: string;
  /** The first retry of a failed webhook delivery waits this long; each next one twice as long. */
  readonly webhookFirstRetrySeconds: number;
  /** A delivery is retried until this long after its event, then kept as failed. */
  readonly webhookRetryForSeconds: number;
  /** How long one delivery attempt may take. */
  readonly webhookTimeoutMs: number;
  /** Events (and deliveries) are kept this many days. */
  readonly eventRetentionDays: number;
  /** Audit records are kept this many days. */
  readonly auditRetentionDays: number;
  /** How many members a counted list's block holds before a new one opens (lib/store/countedLists.ts). */
  readonly listBlockSize: number;
  /** Access token lifetime assumed when neither the provider nor the auth-client gives one. */
  readonly defaultTokenLifetimeSeconds: number;
  /** The scheduled refresh takes secrets expiring within this many seconds. */
  readonly refreshWindowSeconds: number;
  /** How many refreshes the scheduled run has in flight at once. */
  readonly refreshConcurrency: number;
  /**
   * How long refreshes may keep failing transiently (network, 5xx, 429, timeouts) before the
   * secret goes to `state: error`.
   */
  readonly refreshGiveUpSeconds: number;
  /** Where the v1 API's absolute URLs start (Barbican's host_href); absent: from each request. */
  readonly publicBaseUrl?: string;
  /** How long a warm container reuses an API key record and membership it has read (0: never). */
  readonly accessCacheSeconds: number;
  /**
   * How long a deleted auth-secret stays recoverable (DELETE_RECOVERY_DAYS, in seconds here);
   * 0: a DELETE deletes at once.
   */
  readonly deleteRecoverySeconds: number;
  /** Whether PATCH and DELETE of a single resource must carry `If-Match` (428 otherwise). */
  readonly requireIfMatch: boolean;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') throw new ConfigError(`${name} must be set`);
  return value;
}

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer`);
  return value;
}

function nonNegativeInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer`);
  return value;
}

/** A number of days, fractions allowed (tests use seconds' worth), up to ten years. */
function days(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 3650) {
    throw new ConfigError(`${name} must be a number of days from 0 to 3650`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = (env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`${name} must be true or false`);
}

function readPublicBaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ConfigError('PUBLIC_BASE_URL must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('PUBLIC_BASE_URL must be an absolute http(s) URL');
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** LIST_BLOCK_SIZE: members per counted-list block (default 100); see lib/store/countedLists.ts. */
export function listBlockSize(env: Env = process.env): number {
  return positiveInteger(env, 'LIST_BLOCK_SIZE', 100);
}

export function readConfig(env: Env = process.env): Config {
  const kmsKeyId = env.KMS_KEY_ID || undefined;
  const localKeyFile = env.LOCAL_KEY_FILE || undefined;
  if (!kmsKeyId === !localKeyFile) {
    throw new ConfigError('set exactly one of KMS_KEY_ID (AWS) and LOCAL_KEY_FILE (local mode)');
  }
  return Object.freeze({
    tableName: required(env, 'TABLE_NAME'),
    kmsKeyId,
    localKeyFile,
    dataKeyMaxAgeSeconds: positiveInteger(env, 'DATA_KEY_MAX_AGE_SECONDS', 300),
    tokenUrlHttpHosts: Object.freeze(
      (env.TOKEN_URL_HTTP_HOSTS ?? '')
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    ),
    refreshTimeoutMs: positiveInteger(env, 'REFRESH_TIMEOUT_MS', 8000),
    refreshCoalesceSeconds: nonNegativeInteger(env, 'REFRESH_COALESCE_SECONDS', 5),
    listBlockSize: listBlockSize(env),
    eventBusName: env.EVENT_BUS_NAME || undefined,
    webhookQueueUrl: env.WEBHOOK_QUEUE_URL || undefined,
    webhookFirstRetrySeconds: positiveInteger(env, 'WEBHOOK_FIRST_RETRY_SECONDS', 30),
    webhookRetryForSeconds: positiveInteger(env, 'WEBHOOK_RETRY_FOR_SECONDS', 86_400),
    webhookTimeoutMs: positiveInteger(env, 'WEBHOOK_TIMEOUT_MS', 10_000),
    eventRetentionDays: positiveInteger(env, 'EVENT_RETENTION_DAYS', 30),
    auditRetentionDays: positiveInteger(env, 'AUDIT_RETENTION_DAYS', 90),
    defaultTokenLifetimeSeconds: positiveInteger(env, 'DEFAULT_TOKEN_LIFETIME_SECONDS', 3600),
    refreshWindowSeconds: positiveInteger(env, 'REFRESH_WINDOW_SECONDS', 600),
    refreshConcurrency: positiveInteger(env, 'REFRESH_CONCURRENCY', 8),
    refreshGiveUpSeconds: positiveInteger(env, 'REFRESH_GIVE_UP_SECONDS', 259_200),
    accessCacheSeconds: nonNegativeInteger(env, 'ACCESS_CACHE_SECONDS', 30),
    publicBaseUrl: readPublicBaseUrl(env.PUBLIC_BASE_URL),
    deleteRecoverySeconds: Math.round(days(env, 'DELETE_RECOVERY_DAYS', 7) * 86_400),
    requireIfMatch: flag(env, 'REQUIRE_IF_MATCH'),
  });
}
