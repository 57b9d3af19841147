/**
 * The storage ports: what use cases may ask of storage, one repository per aggregate, and the
 * domain outcomes a write can end in. The DynamoDB adapters (./secrets, ./authClients, ./directory,
 * ./v1Secrets) implement them; use cases import from here, never from an adapter, the table, or the
 * AWS SDK.
 */
import type { SecretEvent } from '../events/secretEvents';
import type {
  ApiKeyRecord,
  AuditRecord,
  ConnectSession,
  CredentialChange,
  SecretVersion,
  AuthClient,
  Delivery,
  SecretEventType,
  Membership,
  SecretRecord,
  SecretState,
  Tenant,
  TenantGrant,
  User,
  V1ContentType,
  V1SecretListEntry,
  V1SecretRecord,
  Webhook,
  Workspace,
} from '../model';

/**
 * A conditional write found the record in another state than it expected: it was changed or
 * deleted since it was read, or (for a create) its key is taken.
 */
export class ConditionFailedError extends Error {
  constructor(options?: ErrorOptions) {
    super('conditional write failed', options);
    this.name = 'ConditionFailedError';
  }
}

/**
 * The auth-client a secret was to be created on or moved to was deleted, or is being deleted, at
 * the same moment: the write did not happen.
 */
export class AuthClientGoneError extends Error {
  constructor(options?: ErrorOptions) {
    super('the auth-client is gone or being deleted', options);
    this.name = 'AuthClientGoneError';
  }
}

/**
 * The idempotency key the request holds was taken over by another request (its hold ran out) before
 * the create committed: the create did not happen.
 */
export class ClaimLostError extends Error {
  constructor(options?: ErrorOptions) {
    super('the idempotency key was taken over', options);
    this.name = 'ClaimLostError';
  }
}

/** An auth-client cannot be deleted while auth-secrets use it. */
export class AuthClientInUseError extends Error {
  constructor(options?: ErrorOptions) {
    super('auth-secrets use the auth-client', options);
    this.name = 'AuthClientInUseError';
  }
}

/** Which secrets a list shows: every filter given must match. */
export interface SecretListFilter {
  readonly userId?: string;
  readonly authClientId?: string;
  readonly state?: SecretState;
  /** The deleted (recoverable) secrets instead of the live ones; no other filter goes with it. */
  readonly deleted?: boolean;
}

/** A page by position (`offset`) or after a known secret id (keyset). */
export type SecretPageRequest =
  { readonly offset: number; readonly limit: number } | { readonly after: string; readonly limit: number };

export interface SecretPage {
  readonly secrets: SecretRecord[];
  /** Exact: how many secrets the list has, whatever the page. */
  readonly total: number;
  /** Whether secrets follow this page. */
  readonly more: boolean;
}

/** A secret the scheduled refresh should look at. */
export interface DueSecret {
  readonly workspaceId: string;
  readonly secretId: string;
  readonly dueAt: string;
  /** Set while the secret is in backoff after a transient failure. */
  readonly nextAttemptAt: string | undefined;
}

/** Auth-secrets (v2). */
export interface SecretRepository {
  /**
   * Stores a new secret, its credentials as version 1 (`change`: who, default its user). Throws
   * `ConditionFailedError` if the id is taken, `AuthClientGoneError` if its auth-client is gone.
   */
  create(secret: SecretRecord, change?: CredentialChange): Promise<SecretRecord>;
  /** A live secret; a deleted one (even recoverable) is not found. */
  get(workspaceId: string, secretId: string): Promise<SecretRecord | undefined>;
  /** A deleted secret that is still recoverable. */
  getDeleted(workspaceId: string, secretId: string): Promise<SecretRecord | undefined>;
  /**
   * Replaces a secret that still has `expectedVersion` (else `ConditionFailedError`); a move to an
   * auth-client that is gone throws `AuthClientGoneError`. With `change`, its (new) credentials are
   * kept as a new version. Setting or clearing `deletedAt` deletes (recoverably) or restores it.
   * Returns the record as written.
   */
  replace(secret: SecretRecord, expectedVersion: number, change?: CredentialChange): Promise<SecretRecord>;
  /**
   * Deletes a secret (live or deleted) for good, with its kept versions. Throws
   * `ConditionFailedError` if it does not exist, or with `authClientId` no longer uses that
   * auth-client, or with `version` is at another, or with `purgeBy` is not a deleted secret whose
   * window ended by then.
   */
  delete(
    workspaceId: string,
    secretId: string,
    options?: { authClientId?: string; version?: number; purgeBy?: string },
  ): Promise<void>;
  /** Deleted secrets whose recovery window ended by `now` (ISO 8601). */
  listPurgeable(now: string): Promise<Array<{ workspaceId: string; secretId: string }>>;
  /** A secret's kept credential versions, newest first. */
  listVersions(workspaceId: string, secretId: string): Promise<SecretVersion[]>;
  getVersion(workspaceId: string, secretId: string, number: number): Promise<SecretVersion | undefined>;
  list(workspaceId: string, filter: SecretListFilter, page: SecretPageRequest): Promise<SecretPage>;
  /** The secrets of an auth-client, across workspaces (up to `max`). */
  listKeysByAuthClient(
    authClientId: string,
    max: number,
  ): Promise<Array<{ workspaceId: string; secretId: string }>>;
  /** oauth2 secrets in `ready` state expiring by `horizon`, from the due index. */
  listDue(horizon: string): Promise<DueSecret[]>;
  /** Takes the refresh lease unless a live one is held; undefined when not taken. */
  acquireLease(
    workspaceId: string,
    secretId: string,
    owner: string,
    now: number,
    durationMs: number,
  ): Promise<SecretRecord | undefined>;
  releaseLease(workspaceId: string, secretId: string, owner: string): Promise<void>;
  /**
   * Applies a refresh outcome while the lease is still `owner`'s (moving the secret between the
   * state lists if its state changes); undefined when it was lost.
   */
  saveUnderLease(
    workspaceId: string,
    secretId: string,
    owner: string,
    apply: (current: SecretRecord) => SecretRecord,
    change?: CredentialChange,
  ): Promise<SecretRecord | undefined>;
}

/** How many v1 secrets a workspace's lists count: all of them, and those with an expiration. */
export interface V1ListCounts {
  readonly all: number;
  readonly expiring: number;
}

/** Secrets of the v1 (Barbican-compatible) API. */
export interface V1SecretRepository {
  /** Throws `ConditionFailedError` if the id is taken. */
  create(secret: V1SecretRecord): Promise<V1SecretRecord>;
  get(workspaceId: string, secretId: string): Promise<V1SecretRecord | undefined>;
  /** Gives a payload-less secret its payload, once (`ConditionFailedError` otherwise). */
  setPayload(
    secret: V1SecretRecord,
    change: { sealedPayload: string; contentType: V1ContentType; updatedAt: string },
  ): Promise<void>;
  /** Replaces the user metadata if the secret still has the version read. */
  setMetadata(secret: V1SecretRecord, metadata: V1SecretRecord['metadata']): Promise<void>;
  /** Deletes a secret that exists and has not expired by `now`; `ConditionFailedError` otherwise. */
  delete(workspaceId: string, secretId: string, now: string): Promise<void>;
  listCounts(workspaceId: string): Promise<V1ListCounts>;
  /** A page of the plain list (every secret, creation order) by offset. */
  listPage(workspaceId: string, offset: number, limit: number): Promise<V1SecretListEntry[]>;
  /** Every list entry of a workspace, for filters and sorts no count can serve. */
  listEntries(workspaceId: string): Promise<V1SecretListEntry[]>;
}

/** Auth-clients, per tenant. */
export interface AuthClientRepository {
  /** Throws `ConditionFailedError` if the id is taken. */
  create(client: AuthClient): Promise<void>;
  get(tenantId: string, authClientId: string): Promise<AuthClient | undefined>;
  /** Throws `ConditionFailedError` unless the client still has `expectedVersion`. */
  replace(client: AuthClient, expectedVersion: number): Promise<void>;
  /**
   * Throws `ConditionFailedError` if it does not exist (or, with `expectedVersion`, is at another),
   * `AuthClientInUseError` while secrets use it.
   */
  delete(tenantId: string, authClientId: string, expectedVersion?: number): Promise<void>;
  /**
   * From then on no secret can be created on it or moved to it. `ConditionFailedError` if it does
   * not exist (or, with `expectedVersion`, is at another).
   */
  markDeleting(tenantId: string, authClientId: string, at: string, expectedVersion?: number): Promise<void>;
  list(tenantId: string): Promise<AuthClient[]>;
}

/** Who may do what: tenants, workspaces, users, their API keys, memberships and tenant grants. */
export interface IdentityRepository {
  putTenant(tenant: Tenant): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  putWorkspace(workspace: Workspace): Promise<void>;
  getWorkspace(workspaceId: string): Promise<Workspace | undefined>;
  putUser(user: User): Promise<void>;
  getUser(userId: string): Promise<User | undefined>;
  putApiKey(record: ApiKeyRecord): Promise<void>;
  deleteApiKey(userId: string, keyId: string): Promise<boolean>;
  putMembership(membership: Membership): Promise<void>;
  getMembership(workspaceId: string, userId: string): Promise<Membership | undefined>;
  deleteMembership(workspaceId: string, userId: string): Promise<boolean>;
  listMemberships(userId: string): Promise<Membership[]>;
  putTenantGrant(grant: TenantGrant): Promise<void>;
  /** The API key record and the caller's membership (or tenant grant), in one round trip. */
  getKeyAndAccess(
    userId: string,
    keyId: string,
    scope: { workspaceId?: string; tenantId?: string },
  ): Promise<{ apiKey?: ApiKeyRecord; membership?: Membership; tenantGrant?: TenantGrant }>;
}

/** Which events a list shows: every filter given must match. */
export interface EventListFilter {
  readonly types?: readonly SecretEventType[];
  readonly authSecretId?: string;
}

export interface EventPage {
  readonly events: SecretEvent[];
  /** Where the next page starts (`page[after]`); undefined at the end. */
  readonly next: string | undefined;
}

/** Stored events of auth-secrets, per workspace, kept for a while (30 days) and then expired. */
export interface EventRepository {
  /** Stores events; one already stored (a retried batch) stays as it was. */
  putAll(events: readonly SecretEvent[], expiresAt: Date): Promise<void>;
  /**
   * The workspace's events after `after` (oldest first). A page may hold fewer than `limit` events
   * when filters leave most out; `next` then says where to go on.
   */
  list(
    workspaceId: string,
    filter: EventListFilter,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<EventPage>;
}

/** Webhooks, per tenant. */
export interface WebhookRepository {
  /** Throws `ConditionFailedError` if the id is taken. */
  create(webhook: Webhook): Promise<void>;
  get(tenantId: string, webhookId: string): Promise<Webhook | undefined>;
  /** Throws `ConditionFailedError` unless the webhook still has `expectedVersion`. */
  replace(webhook: Webhook, expectedVersion: number): Promise<void>;
  /** Throws `ConditionFailedError` if it does not exist (or, with `expectedVersion`, is at another). */
  delete(tenantId: string, webhookId: string, expectedVersion?: number): Promise<void>;
  list(tenantId: string): Promise<Webhook[]>;
}

/** Deliveries of events to webhooks: one record per (webhook, event), updated by every attempt. */
export interface DeliveryRepository {
  /** Stores a new delivery; false when it already exists (a retried batch). */
  createIfAbsent(delivery: Delivery, expiresAt: Date): Promise<boolean>;
  get(webhookId: string, eventId: string): Promise<Delivery | undefined>;
  /** Notes that the delivery's job is in the queue. */
  markQueued(webhookId: string, eventId: string): Promise<void>;
  /**
   * Writes the outcome of an attempt, if the delivery is still as `read` left it (pending, after
   * as many attempts); false when another worker got there first (a duplicate job).
   */
  update(delivery: Delivery, read: Pick<Delivery, 'attempts'>, expiresAt: Date): Promise<boolean>;
  /** A webhook's deliveries, newest first, before `before` (an event id). */
  list(
    webhookId: string,
    page: { readonly before?: string; readonly limit: number },
  ): Promise<{ deliveries: Delivery[]; next: string | undefined }>;
}

/** Which audit records a list shows: every filter given must match; times are ISO 8601. */
export interface AuditListFilter {
  readonly actorUserId?: string;
  readonly action?: string;
  readonly authSecretId?: string;
  readonly since?: string;
  readonly until?: string;
}

/** The audit trail, kept for a while (90 days) and then expired. */
export interface AuditRepository {
  /** Writes a record (again, with its outcome, when it was written before the request ran). */
  put(record: AuditRecord, expiresAt: Date): Promise<void>;
  /** A workspace's records, oldest first, after `after` (a record id); filtered pages may be short. */
  list(
    workspaceId: string,
    filter: AuditListFilter,
    page: { readonly after?: string; readonly limit: number },
  ): Promise<{ records: AuditRecord[]; next: string | undefined }>;
}

/** A request that carried an idempotency key, as its key's record keeps it. */
export interface IdempotentRequest {
  readonly userId: string;
  /** SHA-256 of the key (the key itself is the client's, and may say more than it should). */
  readonly keyHash: string;
  /** SHA-256 of what the request asked (method, path, body): the same key with another request is refused. */
  readonly fingerprint: string;
  readonly state: 'running' | 'done';
  /** Whose claim the record is: only its request completes or releases it. */
  readonly claimToken: string;
  /** Epoch ms until which a running request holds the key; after it another may take the key over. */
  readonly lockedUntil: number;
  /** The answer, sealed (it may carry credentials), once done. */
  readonly sealedAnswer?: string;
  /** The id of what the request created, written in the create's own transaction. */
  readonly createdId?: string;
  readonly createdAt: string;
  /** Epoch seconds: the record expires then (TTL), and the key may be used again. */
  readonly expiresAtEpoch: number;
}

/** Idempotency keys of create requests, per user, for a day. */
export interface IdempotencyRepository {
  /**
   * Claims the key for `request` (state running); returns undefined when claimed, else the record
   * that holds it. A running request whose hold ran out is taken over, unless its create happened.
   */
  claim(request: IdempotentRequest, now: number): Promise<IdempotentRequest | undefined>;
  /**
   * Runs `create` so that the create it makes marks the key's record (`createdId`) in its own
   * transaction: a request that dies after its create, before its answer is kept, is then never
   * run again. Throws `ClaimLostError` if the claim was taken over first.
   */
  runClaimed<T>(request: IdempotentRequest, create: () => Promise<T>): Promise<T>;
  /** Stores the answer of the request holding the claim (`ConditionFailedError` if it lost it). */
  complete(userId: string, keyHash: string, claimToken: string, sealedAnswer: string): Promise<void>;
  /** Gives the key up (the request failed, so a retry runs it again), if the claim is still `claimToken`'s. */
  release(userId: string, keyHash: string, claimToken: string): Promise<void>;
}

/** Connect sessions (lib/connect): created once, taken once. */
export interface ConnectSessionRepository {
  /** Stores a new session; DynamoDB removes it some time after `removeAfter` if it is never taken. */
  create(session: ConnectSession, removeAfter: Date): Promise<void>;
  /** Removes the session of a state hash and returns it; undefined when there is none (or it was taken). */
  take(stateHash: string): Promise<ConnectSession | undefined>;
}
