import middy from '@middy/core';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { authenticate, requirePermission, type Caller } from '../auth/authenticate';
import { readPresentedCredentials } from '../auth/credentials';
import { BadRequestError, ForbiddenError, UnsupportedMediaTypeError } from '../errors';
import { isId } from '../ids';
import type { Membership, Permission } from '../model';
import { prepareAtColdStart, type Services } from '../services';
import { barbicanErrorResponse } from './errors';
import { MAX_REQUEST_BYTES, stripStrings, tooLarge } from './input';
import { baseUrlOf } from '../http/baseUrl';
import { bodyBytes, definedEntries, lowerCaseHeaders, queryOf, requestContextOf } from '../http/event';
import { responseHeaders } from '../http/responseHeaders';
import { runIdempotent } from '../http/idempotency';
import { auditAnswers, auditChanges, type AuditedContext } from '../http/audit';
import { observeInvocation } from '../observability';

/**
 * The middy chain of every v1 (Barbican-compatible) handler, built in one place: logs, metrics and
 * traces (outermost, as in lib/http/endpoint.ts), the headers of every answer (registered next, so
 * that it is the last to change an answer, errors included),
 * Barbican-shaped errors, then authentication and the project
 * (workspace) the request is about, then the permission, then the body's media type and the body.
 * That is Barbican's order: 401 from the token, 403 from the policy, 415 from the content type,
 * then 400/413 from the body. The handler receives a `BarbicanRequest` and returns a `BarbicanResult`.
 */

export interface BarbicanRequest {
  readonly caller: Caller;
  /** The caller's membership of the workspace the request is about (Barbican's project). */
  readonly membership: Membership;
  readonly path: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** For `body: 'json'`: the parsed document, every string stripped as Barbican's `load_body` does. */
  readonly body: unknown;
  /** For `body: 'payload'`: the bytes as sent. */
  readonly payload: Buffer;
  /** Where absolute URLs start, e.g. `https://keys.example.com` (no /v1). */
  readonly baseUrl: string;
}

export type BarbicanResult =
  | {
      readonly kind: 'json';
      readonly status: 200 | 201;
      readonly document: unknown;
      readonly location?: string;
    }
  | { readonly kind: 'payload'; readonly contentType: string; readonly bytes: Buffer }
  | { readonly kind: 'noContent' };

export const json = (document: unknown): BarbicanResult => ({ kind: 'json', status: 200, document });
export const jsonCreated = (document: unknown, location?: string): BarbicanResult => ({
  kind: 'json',
  status: 201,
  document,
  ...(location ? { location } : {}),
});
export const payload = (contentType: string, bytes: Buffer): BarbicanResult => ({
  kind: 'payload',
  contentType,
  bytes,
});
export const noContent = (): BarbicanResult => ({ kind: 'noContent' });

export interface BarbicanEndpointSpec {
  /** Barbican's name for the operation (e.g. 'Secret creation'); its 403 and 500 answers say it. */
  readonly operation: string;
  readonly permission: Permission;
  /** `json`: an application/json document; `payload`: a secret's bytes (text/plain or octet-stream). */
  readonly body?: 'json' | 'payload';
  /** A create that honours `Idempotency-Key` (lib/http/idempotency.ts). */
  readonly idempotent?: boolean;
}

/** The media types Barbican's `enforce_content_types` lets through, per kind of body. */
const BODY_TYPES: Readonly<Record<'json' | 'payload', readonly string[]>> = {
  json: ['application/json'],
  payload: ['application/octet-stream', 'text/plain'],
};

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

interface BarbicanContext extends AuditedContext {
  request?: BarbicanRequest;
}

type Middleware = MiddlewareObj<Event, Result, Error, BarbicanContext>;

export function barbicanEndpoint(
  getServices: () => Pick<Services, 'directory' | 'config' | 'audit' | 'idempotency' | 'envelope'>,
  spec: BarbicanEndpointSpec,
  handler: (request: BarbicanRequest) => Promise<BarbicanResult>,
) {
  prepareAtColdStart(getServices);
  return middy<Event, Result, Error, BarbicanContext>()
    .use(observeInvocation<Event, Result, BarbicanContext>({ http: true }))
    .use(responseHeaders<BarbicanContext>())
    .use(auditAnswers<BarbicanContext>(getServices, (error) => barbicanErrorResponse(error, spec.operation)))
    .use(barbicanErrors(spec.operation))
    .use(requestPreparation(getServices, spec))
    .use(auditChanges<BarbicanContext>(getServices))
    .handler(async (event, context) => {
      const { request } = context;
      if (!request) throw new Error('request was not prepared');
      const respond = async () => toResponse(await handler(request));
      if (!spec.idempotent) return respond();
      return runIdempotent(getServices(), { userId: request.caller.userId, event }, respond);
    });
}

function barbicanErrors(operation: string): Middleware {
  return {
    onError: (request) => {
      request.response = barbicanErrorResponse(request.error, operation);
    },
  };
}

function requestPreparation(
  getServices: () => Pick<Services, 'directory' | 'config'>,
  spec: BarbicanEndpointSpec,
): Middleware {
  return {
    before: async (request) => {
      const { event } = request;
      const headers = lowerCaseHeaders(event.headers);
      const resolved = await resolveProject(getServices(), headers);
      request.context.auditCaller = resolved.caller;
      if (resolved.membership) {
        const { workspaceId, tenantId } = resolved.membership;
        request.context.auditWorkspace = { workspaceId, tenantId };
      }
      const membership = requirePermission(resolved.membership, spec.permission);
      const bytes = spec.body ? readBody(event, headers['content-type'], spec.body) : Buffer.alloc(0);
      request.context.request = {
        caller: resolved.caller,
        membership,
        path: definedEntries(event.pathParameters),
        query: queryOf(event),
        headers,
        body: spec.body === 'json' ? parseJson(bytes) : undefined,
        payload: bytes,
        baseUrl: baseUrlOf(headers, requestContextOf(event).domainName, getServices().config.publicBaseUrl),
      };
    },
  };
}

/**
 * Authenticates the caller (X-Auth-Token, or Basic) and finds the workspace the request is about:
 * the one X-Project-Id names, with the caller's membership read in the same round trip; without
 * the header, the caller's only workspace. A caller in several workspaces must name one (400);
 * a caller in none, or naming one they are not a member of (or that does not exist), gets 403.
 */
async function resolveProject(
  services: Pick<Services, 'directory' | 'config'>,
  headers: Record<string, string | undefined>,
): Promise<{ caller: Caller; membership: Membership | undefined }> {
  const presented = readPresentedCredentials(headers);
  const projectId = headers['x-project-id']?.trim();
  if (projectId) {
    const named = isId(projectId) ? projectId : undefined;
    const { caller, membership } = await authenticate(services.directory, presented, { workspaceId: named });
    return { caller, membership: named ? membership : undefined };
  }
  const { caller } = await authenticate(services.directory, presented);
  const memberships = await services.directory.listMemberships(caller.userId);
  if (memberships.length > 1) {
    throw new BadRequestError(
      'The caller belongs to several projects (workspaces): name one with the X-Project-Id header.',
    );
  }
  const [only] = memberships;
  if (!only) throw new ForbiddenError('The caller is not a member of any workspace.');
  return { caller, membership: only };
}

function readBody(event: Event, contentType: string | undefined, kind: 'json' | 'payload'): Buffer {
  const allowed = BODY_TYPES[kind];
  // Like pecan's request.content_type: the media type without its parameters.
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!allowed.includes(mediaType)) {
    throw new UnsupportedMediaTypeError(
      `Unexpected content type. Expected content types are: [${allowed.map((type) => `'${type}'`).join(', ')}]`,
    );
  }
  return bodyBytes(event);
}

/** `load_body`: at most `max_allowed_request_size_in_bytes`, JSON, every string stripped. */
function parseJson(bytes: Buffer): unknown {
  if (bytes.length > MAX_REQUEST_BYTES) throw tooLarge();
  try {
    return stripStrings(JSON.parse(bytes.toString('utf8')));
  } catch {
    throw new BadRequestError('Malformed JSON');
  }
}

function toResponse(result: BarbicanResult): Result {
  switch (result.kind) {
    case 'noContent':
      return { statusCode: 204 };
    case 'payload':
      return {
        statusCode: 200,
        headers: { 'Content-Type': result.contentType },
        body: result.bytes.toString('base64'),
        isBase64Encoded: true,
      };
    default:
      return {
        statusCode: result.status,
        headers: {
          'Content-Type': 'application/json',
          ...(result.location ? { Location: result.location } : {}),
        },
        body: JSON.stringify(result.document),
      };
  }
}
