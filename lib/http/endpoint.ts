import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authenticate, requirePermission, requireTenantPermission, type Caller } from '../auth/authenticate';
import { readPresentedCredentials } from '../auth/credentials';
import { BadRequestError, PayloadTooLargeError } from '../errors';
import { isId } from '../ids';
import type { Membership, Permission, TenantGrant, TenantPermission } from '../model';
import { observeInvocation } from '../observability';
import { prepareAtColdStart, type Services } from '../services';
import {
  auditAnswers,
  auditChanges,
  recordBeforeChange,
  type AuditedContext,
  type AuditLearned,
} from './audit';
import { errorResponse } from './errors';
import { JSON_MEDIA_TYPE, negotiateResponseType, requireJsonContentType } from './mediaTypes';
import { runIdempotent } from './idempotency';
import { readIfMatch } from './preconditions';
import type { ExpectedRevision } from '../revisions';
import { readQuery } from './query';
import { responseHeaders } from './responseHeaders';
import { STATUS_OF, type HttpResult } from './results';
import { bodyBytes, definedEntries, lowerCaseHeaders, queryOf, requestContextOf } from './event';

/** Deeper documents are refused: nothing this API takes needs more, and validation recurses. */
const MAX_BODY_DEPTH = 32;

/** Bodies beyond this are refused before parsing; credentials are small. */
const MAX_BODY_BYTES = 64 * 1024;

/** What a handler receives: authenticated, authorised, body parsed (not yet validated). */
export interface EndpointRequest {
  readonly caller: Caller;
  /** The caller's membership of the workspace in the path, for workspace endpoints. */
  readonly membership: Membership | undefined;
  /** The caller's grant on the tenant in the path, for tenant endpoints. */
  readonly tenantGrant: TenantGrant | undefined;
  readonly path: Readonly<Record<string, string>>;
  /** The query parameters, each given at most once and all among `queryParameters`. */
  readonly query: ReadonlyMap<string, string>;
  readonly body: unknown;
  /** The request's headers, names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** What `If-Match` asks of the resource, for endpoints with `preconditions`. */
  readonly ifMatch: ExpectedRevision | undefined;
  /** When API Gateway received the request (epoch ms); the Lambda's clock if it does not say. */
  readonly receivedAt: number;
  /** The domain API Gateway was called on, when it says (absolute URLs fall back to it). */
  readonly domainName: string | undefined;
}

/** What handlers under /v2/workspaces/{workspaceId} receive: the caller's membership is certain. */
export interface WorkspaceRequest extends EndpointRequest {
  readonly membership: Membership;
}

export interface EndpointOptions {
  /** Whether the endpoint takes a JSON body (`optional`: it may also come without one). */
  readonly acceptsBody?: boolean | 'optional';
  /** The query parameters the endpoint understands; any other answers 400 (JSON:API). */
  readonly queryParameters?: readonly string[];
  /** A create that honours `Idempotency-Key` (lib/http/idempotency.ts). */
  readonly idempotent?: boolean;
  /** A write of one resource that honours `If-Match` (and requires it with REQUIRE_IF_MATCH). */
  readonly preconditions?: boolean;
}

interface ChainOptions extends EndpointOptions {
  /**
   * For endpoints under /v2/workspaces/{workspaceId}: the permission the caller's membership must
   * hold, or 'member' when any membership will do.
   */
  readonly workspacePermission?: Permission | 'member';
  /** For endpoints under /v2/tenants/{tenantId}: the permission the caller's tenant grant must hold. */
  readonly tenantPermission?: TenantPermission;
  /** For endpoints under /v2/tenants/{tenantId} that decide access themselves: load the grant anyway. */
  readonly loadTenantGrant?: boolean;
}

interface EndpointContext extends AuditedContext {
  responseType?: string;
  request?: EndpointRequest;
}

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;
type Middleware = MiddlewareObj<Event, Result, Error, EndpointContext>;

/** An endpoint for any authenticated caller; the use case decides what they may see. */
export function endpoint(
  getServices: () => Services,
  options: EndpointOptions & { loadTenantGrant?: boolean },
  handler: (request: EndpointRequest) => Promise<HttpResult>,
) {
  return chain(getServices, options, handler);
}

/** An endpoint under /v2/tenants/{tenantId} for callers whose tenant grant holds `permission`. */
export function tenantEndpoint(
  getServices: () => Services,
  permission: TenantPermission,
  options: EndpointOptions,
  handler: (request: EndpointRequest) => Promise<HttpResult>,
) {
  return chain(getServices, { ...options, tenantPermission: permission }, handler);
}

/** An endpoint under /v2/workspaces/{workspaceId}, for members holding `permission` ('member': any member). */
export function workspaceEndpoint(
  getServices: () => Services,
  permission: Permission | 'member',
  options: EndpointOptions,
  handler: (request: WorkspaceRequest) => Promise<HttpResult>,
) {
  return chain(getServices, { ...options, workspacePermission: permission }, (request) => {
    const { membership } = request;
    if (!membership) throw new Error('workspace endpoint without a membership');
    return handler({ ...request, membership });
  });
}

/**
 * Builds every HTTP handler's middy chain, in one place: logs, metrics and traces (outermost: they
 * see the final answer and change nothing in it), the headers of every answer (registered next, so
 * that it is the last to change an answer, errors included), JSON:API errors, content negotiation,
 * authentication and authorisation, body parsing. The handler itself receives an `EndpointRequest`
 * and returns an `HttpResult`.
 */
function chain(
  getServices: () => Services,
  options: ChainOptions,
  handler: (request: EndpointRequest) => Promise<HttpResult>,
) {
  prepareAtColdStart(getServices);
  return middy<Event, Result, Error, EndpointContext>()
    .use(observeInvocation<Event, Result, EndpointContext>({ http: true }))
    .use(responseHeaders<EndpointContext>())
    .use(
      auditAnswers<EndpointContext>(getServices, (error, request) =>
        errorResponse(error, request.context.responseType),
      ),
    )
    .use(jsonApiErrors())
    .use(contentNegotiation(options))
    .use(authentication(getServices, options))
    .use(auditChanges<EndpointContext>(getServices))
    .handler(async (event, context) => {
      const { request } = context;
      if (!request) throw new Error('request was not prepared');
      const respond = async () => toResponse(await handler(request), context.responseType ?? JSON_MEDIA_TYPE);
      if (!options.idempotent) return respond();
      return runIdempotent(getServices(), { userId: request.caller.userId, event }, respond);
    });
}

/** What the handler of a public endpoint receives: nothing is authenticated. */
export interface PublicRequest {
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Tells the audit trail who and what the request turned out to be about (the public callback
   * learns its user from the state it carries).
   */
  readonly report: (learned: AuditLearned) => void;
  /**
   * Records the change the request is about to make, with what it reported so far, before making it;
   * throws (503, and the change must not be made) when the record cannot be written.
   */
  readonly recordChange: () => Promise<void>;
}

/**
 * An endpoint without credentials (the OAuth callback: the state it carries authenticates it). It
 * shares the answer headers, the audit trail and the error rendering of every other endpoint; its
 * handler renders its own answer (a redirect or a page for a browser, not a JSON:API document).
 */
export function publicEndpoint(
  getServices: () => Services,
  handler: (request: PublicRequest) => Promise<Result>,
) {
  prepareAtColdStart(getServices);
  return middy<Event, Result, Error, EndpointContext>()
    .use(observeInvocation<Event, Result, EndpointContext>({ http: true }))
    .use(responseHeaders<EndpointContext>())
    .use(auditAnswers<EndpointContext>(getServices, (error) => errorResponse(error, JSON_MEDIA_TYPE)))
    .use(jsonApiErrors())
    .handler((event, context) =>
      handler({
        query: queryOf(event),
        headers: definedEntries(lowerCaseHeaders(event.headers)),
        report: (learned) => {
          const targets = { ...context.auditLearned?.targets, ...learned.targets };
          context.auditLearned = { ...context.auditLearned, ...learned, targets };
        },
        recordChange: () => recordBeforeChange(getServices, event, context),
      }),
    );
}

function jsonApiErrors(): Middleware {
  return {
    onError: (request) => {
      request.response = errorResponse(request.error, request.context.responseType);
    },
  };
}

function contentNegotiation(options: ChainOptions): Middleware {
  return {
    before: (request) => {
      const headers = lowerCaseHeaders(request.event.headers);
      request.context.responseType = negotiateResponseType(headers.accept);
      if (options.acceptsBody && !(options.acceptsBody === 'optional' && isEmptyBody(request.event))) {
        requireJsonContentType(headers['content-type']);
      }
    },
  };
}

function authentication(getServices: () => Services, options: ChainOptions): Middleware {
  return {
    before: async (request) => {
      const { event } = request;
      const headers = lowerCaseHeaders(event.headers);
      const path = definedEntries(event.pathParameters);
      const { caller, membership, tenantGrant } = await authenticate(
        getServices().directory,
        readPresentedCredentials(headers),
        {
          // An id this service could not have issued names nothing: no key is built from it.
          workspaceId: options.workspacePermission ? issuedId(path.workspaceId) : undefined,
          tenantId: options.tenantPermission || options.loadTenantGrant ? issuedId(path.tenantId) : undefined,
        },
      );
      request.context.auditCaller = caller;
      if (membership) {
        request.context.auditWorkspace = {
          workspaceId: membership.workspaceId,
          tenantId: membership.tenantId,
        };
      }
      if (options.workspacePermission) {
        requirePermission(
          membership,
          options.workspacePermission === 'member' ? undefined : options.workspacePermission,
        );
      }
      if (options.tenantPermission) requireTenantPermission(tenantGrant, options.tenantPermission);
      request.context.request = {
        caller,
        membership,
        tenantGrant,
        path,
        query: readQuery(queryOf(event), options.queryParameters ?? []),
        body:
          options.acceptsBody && !(options.acceptsBody === 'optional' && isEmptyBody(event))
            ? parseBody(event)
            : undefined,
        headers: definedEntries(headers),
        ifMatch: options.preconditions
          ? readIfMatch(definedEntries(headers), { required: getServices().config.requireIfMatch })
          : undefined,
        receivedAt: requestContextOf(event).timeEpoch ?? Date.now(),
        domainName: requestContextOf(event).domainName,
      };
    },
  };
}

const isEmptyBody = (event: Event): boolean => bodyBytes(event).toString('utf8').trim() === '';

function parseBody(event: Event): unknown {
  const bytes = bodyBytes(event);
  if (bytes.length > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The request body may be at most ${MAX_BODY_BYTES} bytes.`);
  }
  const raw = bytes.toString('utf8');
  if (!raw.trim()) throw new BadRequestError('The request needs a JSON body.', { source: { pointer: '' } });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new BadRequestError('The request body is not valid JSON.', { source: { pointer: '' } });
  }
  if (nestingDepth(parsed) > MAX_BODY_DEPTH) {
    throw new BadRequestError(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`, {
      source: { pointer: '' },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BadRequestError('The request body must be a JSON object (a JSON:API document).', {
      source: { pointer: '' },
    });
  }
  return parsed;
}

function toResponse(result: HttpResult, contentType: string): Result {
  const statusCode = STATUS_OF[result.kind];
  if (result.kind === 'noContent') return { statusCode };
  if (result.kind === 'notModified') return { statusCode, headers: { ETag: result.etag } };
  return {
    statusCode,
    headers: {
      'Content-Type': contentType,
      ...(result.kind === 'created' && result.location !== undefined ? { Location: result.location } : {}),
      ...(result.etag !== undefined ? { ETag: result.etag } : {}),
    },
    body: JSON.stringify(result.document),
  };
}

function issuedId(value: string | undefined): string | undefined {
  return value !== undefined && isId(value) ? value : undefined;
}

/** How deeply a parsed JSON value nests, measured without recursion. */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const pending: Array<[unknown, number]> = [[value, 0]];
  while (pending.length > 0) {
    const [current, depth] = pending.pop() ?? [undefined, 0];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > MAX_BODY_DEPTH) return deepest;
    for (const child of Object.values(current)) pending.push([child, depth + 1]);
  }
  return deepest;
}
