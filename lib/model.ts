// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';

/**
 * The records the service stores, as zod schemas: items read back from DynamoDB are parsed
 * through these, never cast, so a malformed item fails loudly at the storage boundary.
 */

export const PERMISSIONS = [
  'workspaces.auth_secret.get',
  'workspaces.auth_secret.create',
  'workspaces.auth_secret.edit',
  'workspaces.auth_secret.delete',
  'workspaces.auth_secret.refresh',
  // The Barbican-compatible v1 secrets API.
  'workspaces.secret.get',
  'workspaces.secret.create',
  'workspaces.secret.edit',
  'workspaces.secret.delete',
  // The workspace's audit trail.
  'workspaces.audit.get',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const TENANT_PERMISSIONS = [
  'tenants.auth_client.get',
  'tenants.auth_client.create',
  'tenants.auth_client.edit',
  'tenants.auth_client.delete',
  'tenants.webhook.get',
  'tenants.webhook.create',
  'tenants.webhook.edit',
  'tenants.webhook.delete',
] as const;
export type TenantPermission = (typeof TENANT_PERMISSIONS)[number];

/** Named presets of the permission set, as the admin CLI grants them. */
export const ROLES: Readonly<Record<string, readonly Permission[]>> = {
  viewer: ['workspaces.auth_secret.get', 'workspaces.secret.get'],
  editor: [
    'workspaces.auth_secret.get',
    'workspaces.auth_secret.create',
    'workspaces.auth_secret.edit',
    'workspaces.auth_secret.refresh',
    'workspaces.secret.get',
    'workspaces.secret.create',
    'workspaces.secret.edit',
  ],
  admin: [...PERMISSIONS],
};

const timestamp = z.string();

export const tenantSchema = z.object({ id: z.string(), name: z.string(), createdAt: timestamp });
export type Tenant = z.infer<typeof tenantSchema>;

export const workspaceSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Workspace = z.infer<typeof workspaceSchema>;

export const userSchema = z.object({ id: z.string(), email: z.string(), createdAt: timestamp });
export type User = z.infer<typeof userSchema>;

export const apiKeySchema = z.object({
  userId: z.string(),
  keyId: z.string(),
  /** SHA-256 of the key's secret part, hex. The key has 256 random bits, so a slow hash adds nothing. */
  secretHash: z.string(),
  email: z.string(),
  createdAt: timestamp,
});
export type ApiKeyRecord = z.infer<typeof apiKeySchema>;

export const membershipSchema = z.object({
  workspaceId: z.string(),
  tenantId: z.string(),
  userId: z.string(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
});
export type Membership = z.infer<typeof membershipSchema>;

/** A user's permissions over a tenant's auth-clients (a tenant admin holds all four). */
export const tenantGrantSchema = z.object({
  tenantId: z.string(),
  userId: z.string(),
  permissions: z.array(z.string()),
  createdAt: timestamp,
});
export type TenantGrant = z.infer<typeof tenantGrantSchema>;

export const AUTH_CLIENT_TYPES = ['oauth2', 'other'] as const;
export type AuthClientType = (typeof AUTH_CLIENT_TYPES)[number];
export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
/**
 * How an oauth2 auth-client's secrets get their tokens: from a user's consent (authorization code,
 * then refresh tokens), or for the client itself (client credentials, requested again to renew).
 */
export const GRANT_TYPES = ['authorization_code', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const authClientSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  name: z.string(),
  type: z.enum(AUTH_CLIENT_TYPES),
  tokenUrl: z.string().nullable(),
  clientId: z.string().nullable(),
  /** The client secret, sealed by the envelope; never returned by the API. */
  sealedClientSecret: z.string().nullable(),
  authMethod: z.enum(AUTH_METHODS),
  scopes: z.array(z.string()),
  /** Seconds an access token lives when the provider's answer has no expires_in. */
  defaultExpiresIn: z.number().int().nullable().default(null),
  /**
   * The longest its secrets go without a refresh, expiring or not (providers revoke refresh tokens
   * left unused). Absent: only expiry makes a secret due.
   */
  refreshIntervalSeconds: z.number().int().nullable().optional(),
  grantType: z.enum(GRANT_TYPES).default('authorization_code'),
  /** The provider's authorization endpoint, for connect sessions (authorization_code only). */
  authorizationUrl: z.string().nullable().default(null),
  /** Whether connect sessions send a PKCE challenge (RFC 7636, S256): on unless a provider refuses it. */
  pkce: z.boolean().default(true),
  /** Extra query parameters of the authorization request (`access_type=offline`, `prompt=consent`). */
  authorizeParams: z.record(z.string(), z.string()).default({}),
  /** Where a connect session may send the user back: exact URLs, or origins (any URL on them). */
  allowedReturnUrls: z.array(z.string()).default([]),
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type AuthClient = z.infer<typeof authClientSchema>;

export const SECRET_STATES = ['ready', 'error'] as const;
export type SecretState = (typeof SECRET_STATES)[number];

/** The last refresh that failed, as the provider (or the network) put it. */
export const refreshErrorSchema = z.object({
  code: z.string(),
  description: z.string(),
  at: timestamp,
  /** Transient failures (5xx, 429, timeouts) are retried; permanent ones put the secret in error. */
  transient: z.boolean(),
});
export type RefreshError = z.infer<typeof refreshErrorSchema>;

/** What happened to an auth-secret, as events and webhooks name it. */
export const SECRET_EVENT_TYPES = [
  'auth_secret.created',
  'auth_secret.updated',
  'auth_secret.refreshed',
  'auth_secret.refresh_failed',
  'auth_secret.reconnect_required',
  'auth_secret.recovered',
  /** DELETE within the recovery window: the secret can be restored until `purge_at`. */
  'auth_secret.soft_deleted',
  /** A soft-deleted secret was brought back. */
  'auth_secret.restored',
  /** Gone for good: a DELETE without recovery window, `?force=true`, or the purge after the window. */
  'auth_secret.deleted',
] as const;
export type SecretEventType = (typeof SECRET_EVENT_TYPES)[number];

/**
 * The event a write of a secret is, written on the secret's item by that very write: the table's
 * stream carries it from there (lib/events), so an event exists exactly when its write happened.
 * Writes that are no event (taking and giving back the refresh lease) leave it as it is.
 */
export const secretChangeSchema = z.object({
  /** The event's id (UUIDv7): unique, and the same on every delivery of the event. */
  id: z.string(),
  type: z.enum(SECRET_EVENT_TYPES),
  at: timestamp,
  /** For failed refreshes: the provider's error code (or the transient reason). */
  errorCode: z.string().optional(),
});
export type SecretChange = z.infer<typeof secretChangeSchema>;

export const secretSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  workspaceId: z.string(),
  userId: z.string(),
  authClientId: z.string(),
  /** The auth-client's type, kept here so that list pages and the scheduler need not read clients. */
  authType: z.enum(AUTH_CLIENT_TYPES),
  name: z.string(),
  state: z.enum(SECRET_STATES),
  error: z.string().nullable(),
  /** The credentials object, sealed by the envelope and bound to this secret. */
  sealedCredentials: z.string(),
  /** When the access token expires (ISO 8601), for oauth2 credentials. */
  expiresAt: z.string().nullable(),
  refreshedAt: timestamp.nullable().default(null),
  refreshError: refreshErrorSchema.nullable().default(null),
  /** Consecutive failed refreshes (transient or not), for the scheduler's backoff; 0 after a success. */
  refreshFailures: z.number().int().default(0),
  /**
   * When the current run of failed refreshes began (null: the last refresh worked, or none failed
   * since the credentials were stored). Past REFRESH_GIVE_UP_SECONDS the secret goes to `error`.
   */
  failingSince: timestamp.nullable().optional(),
  /** The scheduler leaves the secret alone until then (backoff after a transient failure). */
  nextAttemptAt: timestamp.nullable().default(null),
  /**
   * Due for refresh by its auth-client's refresh interval, counted from when the credentials were
   * stored or last refreshed (the interval as it was then); null or absent: no interval. See
   * {@link refreshDueAt}.
   */
  intervalDueAt: timestamp.nullable().optional(),
  /** Held while a refresh talks to the provider, so that only one spends the refresh token. */
  leaseOwner: z.string().optional(),
  /** Epoch milliseconds after which an abandoned lease may be taken over. */
  leaseUntil: z.number().optional(),
  /** Bumped on every write; writes are conditional on the version they read. */
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /** The event this secret's last change was (absent on items written before events existed). */
  lastChange: secretChangeSchema.optional(),
  /**
   * Set while the secret is deleted but recoverable (soft delete): it is then in no list but the
   * deleted one, answers 404, is never refreshed, and is purged at `purgeAt`.
   */
  deletedAt: timestamp.optional(),
  purgeAt: timestamp.optional(),
  /**
   * The number of the credentials' current version (see secretVersionSchema); absent on secrets
   * stored before versions were kept.
   */
  credentialsVersion: z.number().int().optional(),
  /**
   * Store bookkeeping, carried unchanged by use cases: which block of each counted list counts
   * this secret (lib/store/countedLists.ts), so that removing it needs no search.
   */
  listBlocks: z.record(z.string(), z.string()).optional(),
});
export type SecretRecord = z.infer<typeof secretSchema>;

/** What produced a version of a secret's credentials. */
export const CREDENTIAL_SOURCES = ['create', 'patch', 'refresh', 'restore', 'connect'] as const;
export type CredentialSource = (typeof CREDENTIAL_SOURCES)[number];

/**
 * One version of an auth-secret's credentials, as they were stored by a create, a PATCH, a refresh
 * or a restore: sealed exactly as the secret's own (same binding), so that restoring it is a copy.
 */
export const secretVersionSchema = z.object({
  workspaceId: z.string(),
  secretId: z.string(),
  number: z.number().int(),
  source: z.enum(CREDENTIAL_SOURCES),
  /** The auth-client the credentials were for: a version is only restored onto that client. */
  authClientId: z.string(),
  /** The user whose request stored them; null for the scheduled refresh (and unknown origins). */
  actorUserId: z.string().nullable(),
  createdAt: timestamp,
  sealedCredentials: z.string(),
  /** The access token's expiry as it was with these credentials. */
  expiresAt: z.string().nullable(),
});
export type SecretVersion = z.infer<typeof secretVersionSchema>;

/** Who stored a new version of credentials, and how: what the version list shows. */
export interface CredentialChange {
  readonly source: CredentialSource;
  readonly actorUserId: string | null;
}

/**
 * When a secret whose credentials were stored (or refreshed) at `from` is due by its auth-client's
 * refresh interval, as the client has it now; null when the client has none.
 */
export function intervalDueFrom(
  client: Pick<AuthClient, 'type' | 'refreshIntervalSeconds'>,
  from: Date,
): string | null {
  const interval = client.refreshIntervalSeconds ?? null;
  if (client.type !== 'oauth2' || interval === null) return null;
  return new Date(from.getTime() + interval * 1000).toISOString();
}

/**
 * When a secret should be refreshed: the earlier of its access token's expiry and its auth-client's
 * refresh interval; null when neither applies. Only oauth2 secrets in `ready` state are refreshed
 * on schedule.
 */
export function refreshDueAt(secret: Pick<SecretRecord, 'expiresAt' | 'intervalDueAt'>): string | null {
  const { expiresAt } = secret;
  const intervalDueAt = secret.intervalDueAt ?? null;
  if (expiresAt === null || intervalDueAt === null) return expiresAt ?? intervalDueAt;
  return Date.parse(intervalDueAt) < Date.parse(expiresAt) ? intervalDueAt : expiresAt;
}

/**
 * A connect session: one authorization request on its way through a user's browser. Stored under
 * the SHA-256 of its `state` (the state itself is never stored), used at most once, and only until
 * `expiresAt`. The PKCE verifier is sealed: it never leaves the service.
 */
export const connectSessionSchema = z.object({
  id: z.string(),
  /** SHA-256 of the state, hex: the session's key. */
  stateHash: z.string(),
  tenantId: z.string(),
  workspaceId: z.string(),
  /** Who created the session: the new secret's user, and whose permissions the callback checks again. */
  userId: z.string(),
  authClientId: z.string(),
  /** The secret to reconnect in place; null: the callback creates one. */
  secretId: z.string().nullable(),
  /** The new secret's name; null: the auth-client's. */
  name: z.string().nullable(),
  returnUrl: z.string().nullable(),
  /** The redirect_uri the authorization request named: the token request must name it again. */
  redirectUri: z.string(),
  /** The PKCE code verifier, sealed and bound to this session; null when the auth-client has pkce off. */
  sealedCodeVerifier: z.string().nullable(),
  createdAt: timestamp,
  expiresAt: timestamp,
});
export type ConnectSession = z.infer<typeof connectSessionSchema>;

/** The payload media types a v1 (Barbican) secret is stored under, as Barbican normalises them. */
export const V1_CONTENT_TYPES = [
  'text/plain',
  'application/octet-stream',
  'application/pkcs8',
  'application/pkix-cert',
] as const;
export type V1ContentType = (typeof V1_CONTENT_TYPES)[number];

/** A user metadata entry of a v1 secret (Barbican's SecretUserMetadatum: lower-case URL-safe key). */
export const v1MetadatumSchema = z.object({ key: z.string(), value: z.string() });

/**
 * A secret of the v1 (Barbican-compatible) API. Attributes Barbican shows as null are stored
 * absent. The payload is sealed by the envelope and bound to this secret; until a payload is
 * given (two-step creation) `sealedPayload` and `contentType` are absent.
 */
export const v1SecretSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  workspaceId: z.string(),
  name: z.string().nullable().default(null),
  secretType: z.string(),
  algorithm: z.string().nullable().default(null),
  bitLength: z.number().int().nullable().default(null),
  mode: z.string().nullable().default(null),
  /** UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (microseconds, as Barbican keeps them): sorts as it compares. */
  expiration: z.string().nullable().default(null),
  /** The user who created it (Barbican's `creator_id`). */
  creatorId: z.string(),
  contentType: z.enum(V1_CONTENT_TYPES).nullable().default(null),
  /** The payload bytes (base64), sealed by the envelope. */
  sealedPayload: z.string().nullable().default(null),
  metadata: z.array(v1MetadatumSchema).default([]),
  /** Bumped on every write; writes are conditional on the version they read. */
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  /**
   * Store bookkeeping, carried unchanged by use cases: which block of each counted list counts
   * this secret (lib/store/countedLists.ts), so that removing it needs no search.
   */
  listBlocks: z.record(z.string(), z.string()).optional(),
});
export type V1SecretRecord = z.infer<typeof v1SecretSchema>;

/** What the v1 list index projects of a secret: the list fields, never the payload or metadata. */
export const v1SecretListEntrySchema = v1SecretSchema.pick({
  name: true,
  secretType: true,
  algorithm: true,
  bitLength: true,
  mode: true,
  expiration: true,
  creatorId: true,
  contentType: true,
  createdAt: true,
  updatedAt: true,
});
export type V1SecretListEntry = z.infer<typeof v1SecretListEntrySchema> & { readonly id: string };

/** A tenant's subscription to auth-secret events, delivered by HTTP POST (Standard Webhooks). */
export const webhookSchema = z.object({
  id: z.string(),
  tenantId: z.string(),
  url: z.string(),
  /** Empty: every event type. */
  eventTypes: z.array(z.enum(SECRET_EVENT_TYPES)),
  enabled: z.boolean(),
  /** The signing secret (`whsec_…`), sealed by the envelope and bound to this webhook. */
  sealedSecret: z.string(),
  version: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type Webhook = z.infer<typeof webhookSchema>;

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

/** One event on its way to one webhook: every attempt updates it. */
export const deliverySchema = z.object({
  webhookId: z.string(),
  tenantId: z.string(),
  eventId: z.string(),
  eventType: z.enum(SECRET_EVENT_TYPES),
  /** The event's JSON, exactly the bytes that are signed and sent. */
  body: z.string(),
  status: z.enum(DELIVERY_STATES),
  /** Whether its job reached the queue (a retried batch queues only those that did not). */
  queued: z.boolean().default(false),
  attempts: z.number().int(),
  /** The last attempt's HTTP status, or null when it got none (network error, timeout). */
  lastStatusCode: z.number().int().nullable(),
  /** Why the last attempt failed, in a few words (no response body). */
  lastError: z.string().nullable(),
  lastAttemptAt: timestamp.nullable(),
  nextAttemptAt: timestamp.nullable(),
  createdAt: timestamp,
  deliveredAt: timestamp.nullable(),
});
export type Delivery = z.infer<typeof deliverySchema>;

/**
 * One record of the audit trail: who did what to which record, with what outcome. Never a
 * credential: the actor is named by ids, the targets by ids, the request by its metadata.
 */
export const auditRecordSchema = z.object({
  id: z.string(),
  at: timestamp,
  /** The workspace the record belongs to (its list); null for tenant-level requests. */
  workspaceId: z.string().nullable(),
  tenantId: z.string().nullable(),
  actor: z.object({
    /** `user` (authenticated), `anonymous` (refused before it was), `scheduler` (the scheduled refresh). */
    kind: z.enum(['user', 'anonymous', 'scheduler']),
    userId: z.string().nullable(),
    apiKeyId: z.string().nullable(),
  }),
  action: z.string(),
  /** The ids the request named (path parameters, or what it created). */
  targets: z.record(z.string(), z.string()),
  /** The HTTP status of the answer (for the scheduler: 200 refreshed, 502/503/504 failed); null while in flight. */
  status: z.number().int().nullable(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
});
export type AuditRecord = z.infer<typeof auditRecordSchema>;
