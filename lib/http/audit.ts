import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { auditedRoute } from '../audit/actions';
import { writeAuditRecord } from '../audit/trail';
import type { Caller } from '../auth/authenticate';
import { parseApiKey } from '../auth/apiKeys';
import { readPresentedCredentials } from '../auth/credentials';
import { AuditUnavailableError } from '../errors';
import { isId, newId } from '../ids';
import type { AuditRecord } from '../model';
import { logError } from '../observability';
import type { Services } from '../services';
import { definedEntries, lowerCaseHeaders, requestContextOf } from './event';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** What the chain tells the audit trail as it learns it. */
export interface AuditedContext extends Context {
  /** Set as soon as the caller is authenticated (a later 403 still names them). */
  auditCaller?: Caller;
  /** The workspace (and its tenant) the request is about, once known (v1: from X-Project-Id). */
  auditWorkspace?: { workspaceId: string; tenantId: string };
  /** The record written before a change ran, completed with the answer after. */
  auditPending?: AuditRecord;
  /** What an unauthenticated request turned out to be about (see AuditLearned). */
  auditLearned?: AuditLearned;
}

/**
 * What a request without credentials learns as it runs (the OAuth callback, from the session its
 * state names): the user it acts for, their workspace, and the records it touched.
 */
export interface AuditLearned {
  /** What it turned out to be, when that is not the route's action (a connect that failed). */
  readonly action?: string;
  readonly userId?: string;
  readonly workspace?: { readonly workspaceId: string; readonly tenantId: string };
  readonly targets?: Readonly<Record<string, string>>;
}

type AuditDeps = () => Pick<Services, 'audit' | 'config'>;
const REFUSED = new Set([401, 403]);

/**
 * The audit trail of the HTTP API, in two middlewares. `auditAnswers` (registered early, so that its
 * after and onError run once the answer is final, errors rendered) records every request to a route
 * that returns credentials or payloads or changes something, and every refused one (401, 403). If
 * the record cannot be written, the answer is withheld: a 503 instead, as Vault refuses to answer
 * what it cannot audit. `auditChanges` (registered after authentication) writes the record of a
 * change before it runs, so that a change that cannot be recorded never happens; the answer then
 * completes it.
 */
export function auditAnswers<C extends AuditedContext>(
  getServices: AuditDeps,
  renderError: (error: Error, request: { context: C }) => Result,
): MiddlewareObj<Event, Result, Error, C> {
  const finish = async (request: { event: Event; context: C; response: Result | null | undefined }) => {
    const route = auditedRoute(request.event.routeKey);
    const status = request.response?.statusCode ?? 500;
    if (!route || (!route.always && !REFUSED.has(status))) return;
    const pending = request.context.auditPending;
    const record = withLearned(
      { ...(pending ?? newRecord(request.event, request.context, route.action)), status },
      request.context.auditLearned,
    );
    record.targets = { ...record.targets, ...createdTarget(request.event, request.response) };
    try {
      await writeAuditRecord(getServices(), record);
    } catch (error) {
      logError('audit record not written', error, { action: route.action, status });
      // A change recorded before it ran keeps its answer (its record says it was attempted);
      // anything else is not answered unrecorded.
      if (!pending) request.response = renderError(new AuditUnavailableError(UNAVAILABLE), request);
    }
  };
  return { after: finish, onError: finish };
}

export function auditChanges<C extends AuditedContext>(
  getServices: AuditDeps,
): MiddlewareObj<Event, Result, Error, C> {
  return {
    before: async (request) => {
      const route = auditedRoute(request.event.routeKey);
      // Reads need no record before they run: their answer waits for the record instead.
      if (!route?.always || request.event.routeKey.startsWith('GET ')) return;
      await recordBeforeChange(getServices, request.event, request.context);
    },
  };
}

/**
 * Writes the record of a change before it runs, with what the request learned so far (see
 * AuditLearned; an unauthenticated request calls it once it knows what it will change): the
 * change must not happen if this throws. The answer completes the record.
 */
export async function recordBeforeChange(
  getServices: AuditDeps,
  event: Event,
  context: AuditedContext,
): Promise<void> {
  const route = auditedRoute(event.routeKey);
  if (!route) return;
  const record = withLearned(newRecord(event, context, route.action), context.auditLearned);
  try {
    await writeAuditRecord(getServices(), record);
  } catch (error) {
    throw new AuditUnavailableError(UNAVAILABLE, { cause: error });
  }
  context.auditPending = record;
}

const UNAVAILABLE =
  'The request could not be recorded in the audit trail, so it was not carried out. Try again later.';

function newRecord(event: Event, context: AuditedContext, action: string): AuditRecord {
  const path = definedEntries(event.pathParameters);
  const headers = lowerCaseHeaders(event.headers);
  const caller = context.auditCaller;
  // Refused before authentication: the ids the presented key claims (never its secret).
  const claimed = caller ? undefined : parseApiKey(readPresentedCredentials(headers)?.apiKey ?? '');
  const workspaceId = context.auditWorkspace?.workspaceId ?? validId(path.workspaceId);
  const now = new Date();
  return {
    id: newId(now.getTime()),
    at: now.toISOString(),
    workspaceId,
    tenantId: context.auditWorkspace?.tenantId ?? validId(path.tenantId),
    actor: caller
      ? { kind: 'user', userId: caller.userId, apiKeyId: caller.apiKeyId }
      : { kind: 'anonymous', userId: claimed?.userId ?? null, apiKeyId: claimed?.keyId ?? null },
    action,
    targets: targetsOf(event.routeKey, path),
    status: null,
    // Test and benchmark events may leave out parts of the request context that API Gateway sends.
    sourceIp: requestContextOf(event).http?.sourceIp || null,
    userAgent: requestContextOf(event).http?.userAgent || headers['user-agent'] || null,
    requestId: requestContextOf(event).requestId || context.awsRequestId || null,
  };
}

/** A record completed with what the request learned as it ran. */
function withLearned(record: AuditRecord, learned: AuditLearned | undefined): AuditRecord {
  if (!learned) return record;
  return {
    ...record,
    ...(learned.action !== undefined ? { action: learned.action } : {}),
    ...(learned.userId !== undefined && record.actor.kind === 'anonymous'
      ? { actor: { kind: 'user', userId: learned.userId, apiKeyId: null } }
      : {}),
    ...(learned.workspace
      ? { workspaceId: learned.workspace.workspaceId, tenantId: learned.workspace.tenantId }
      : {}),
    targets: { ...record.targets, ...learned.targets },
  };
}

/** The ids a request names in its path, by what they are. */
function targetsOf(routeKey: string, path: Record<string, string>): Record<string, string> {
  const v1 = routeKey.includes(' /v1/');
  const targets: Record<string, string> = {};
  const names: Record<string, string> = {
    secretId: v1 ? 'v1SecretId' : 'authSecretId',
    authClientId: 'authClientId',
    webhookId: 'webhookId',
    userId: 'userId',
  };
  for (const [parameter, name] of Object.entries(names)) {
    const value = validId(path[parameter]);
    if (value !== null) targets[name] = value;
  }
  return targets;
}

/** What a create made, from its Location. */
function createdTarget(event: Event, response: Result | null | undefined): Record<string, string> {
  if (response?.statusCode !== 201) return {};
  const location = String(response.headers?.Location ?? response.headers?.location ?? '');
  const id = validId(location.split('/').at(-1));
  if (id === null) return {};
  const route = event.routeKey;
  if (route.includes('/auth-clients')) return { authClientId: id };
  if (route.includes('/webhooks')) return { webhookId: id };
  return route.includes(' /v1/') ? { v1SecretId: id } : { authSecretId: id };
}

const validId = (value: string | undefined): string | null =>
  value !== undefined && isId(value) ? value : null;
