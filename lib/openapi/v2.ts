import { authClientAttributesSchema } from '../authClients/input';
import { connectSessionAttributesSchema } from '../connect/input';
import { secretAttributesSchema } from '../secrets/input';
import { webhookAttributesSchema } from '../webhooks/input';
import { SECRET_EVENT_TYPES } from '../model';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../http/query';
import { ALWAYS_HEADERS, jsonSchema, requestDocument, type JsonSchema } from './jsonSchema';
import * as resources from './resources';

/**
 * The OpenAPI 3.1 document of the v2 API, built from the schemas the handlers validate requests
 * with (lib/*\/input.ts) and the schemas of what they answer (./resources.ts). Served at
 * GET /v2/openapi.json, written to openapi/v2.json by `npm run openapi`, and every answer of the
 * end-to-end suite is checked against it.
 */

const JSON_TYPES = ['application/json', 'application/vnd.api+json'] as const;
const content = (schema: JsonSchema) => Object.fromEntries(JSON_TYPES.map((type) => [type, { schema }]));
const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

const HEADER = (description: string, required = true) => ({
  description,
  required,
  schema: { type: 'string' },
});
const ETAG = { ETag: HEADER('the revision, quoted: use it in If-Match and If-None-Match') };

const ERROR_MEANINGS: Record<number, string> = {
  400: 'malformed JSON, query parameter or header (`source.parameter` / `source.header`)',
  401: 'missing or wrong credentials (WWW-Authenticate: Basic)',
  403: 'not a member of the workspace, or without the permission',
  404: 'no such resource (for this caller)',
  406: 'no acceptable media type in Accept',
  409: 'a conflict: `data.type` or `data.id` that does not match, a concurrent change, a refresh in flight, an idempotent request in progress',
  412: 'If-Match names another revision',
  429: 'throttled by the HTTP API stage (its body is then API Gateway\'s `{"message": …}`)',
  413: 'body larger than 64 KiB',
  415: 'Content-Type is not JSON',
  422: 'invalid attributes or relationships (`source.pointer`)',
  428: 'If-Match required (REQUIRE_IF_MATCH)',
  500: 'an internal error',
  502: "the provider's token endpoint failed or answered badly",
  503: 'the audit trail could not record the request, or the provider was unreachable or rate limited',
  504: "the provider's token endpoint did not answer in time",
};
/** Error answers are described once, in components.responses, and referred to. */
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
  );
/** What API Gateway itself may answer on any route (throttled, the function failed or timed out). */
const GATEWAY = [429, 503, 504];
const ERROR_RESPONSES = Object.fromEntries(
  Object.entries(ERROR_MEANINGS).map(([status, description]) => [
    `Error${status}`,
    GATEWAY.includes(Number(status))
      ? {
          description,
          content: content({ anyOf: [ref('Errors'), ref('GatewayError')] }),
        }
      : { description, headers: ALWAYS_HEADERS, content: content(ref('Errors')) },
  ]),
);
/** What any authenticated endpoint may answer besides its own. */
const COMMON = [400, 401, 403, 404, 406, 500];
const WITH_BODY = [409, 413, 415, 422];

interface Operation {
  readonly summary: string;
  readonly permission?: string;
  readonly parameters?: readonly string[];
  readonly body?: JsonSchema;
  readonly ok: {
    status: number;
    description: string;
    schema?: JsonSchema;
    headers?: Record<string, unknown>;
  };
  readonly also?: readonly number[];
  /** Without credentials (the OAuth callback, the documents). */
  readonly public?: boolean;
  readonly idempotent?: boolean;
  readonly preconditions?: boolean;
}

const PARAMETERS: Record<string, JsonSchema> = {
  workspaceId: { name: 'workspaceId', in: 'path', required: true, schema: { type: 'string' } },
  secretId: { name: 'secretId', in: 'path', required: true, schema: { type: 'string' } },
  tenantId: { name: 'tenantId', in: 'path', required: true, schema: { type: 'string' } },
  authClientId: { name: 'authClientId', in: 'path', required: true, schema: { type: 'string' } },
  webhookId: { name: 'webhookId', in: 'path', required: true, schema: { type: 'string' } },
  userId: { name: 'userId', in: 'path', required: true, schema: { type: 'string' } },
  versionNumber: {
    name: 'versionNumber',
    in: 'path',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  'page[offset]': { name: 'page[offset]', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  'page[limit]': {
    name: 'page[limit]',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_LIMIT, default: DEFAULT_PAGE_LIMIT },
  },
  'page[after]': {
    name: 'page[after]',
    in: 'query',
    description: 'the id of the last item seen',
    schema: { type: 'string' },
  },
  'page[before]': {
    name: 'page[before]',
    in: 'query',
    description: 'the id of the oldest item seen',
    schema: { type: 'string' },
  },
  'filter[user]': { name: 'filter[user]', in: 'query', schema: { type: 'string' } },
  'filter[auth_client]': { name: 'filter[auth_client]', in: 'query', schema: { type: 'string' } },
  'filter[state]': { name: 'filter[state]', in: 'query', schema: { enum: ['ready', 'error'] } },
  'filter[deleted]': { name: 'filter[deleted]', in: 'query', schema: { enum: ['true', 'false'] } },
  'filter[type]': {
    name: 'filter[type]',
    in: 'query',
    description: 'comma-separated event types',
    schema: { type: 'string', examples: [SECRET_EVENT_TYPES[0]] },
  },
  'filter[auth_secret]': { name: 'filter[auth_secret]', in: 'query', schema: { type: 'string' } },
  'filter[actor]': {
    name: 'filter[actor]',
    in: 'query',
    description: 'a user id',
    schema: { type: 'string' },
  },
  'filter[action]': { name: 'filter[action]', in: 'query', schema: { type: 'string' } },
  'filter[since]': { name: 'filter[since]', in: 'query', schema: { type: 'string', format: 'date-time' } },
  'filter[until]': { name: 'filter[until]', in: 'query', schema: { type: 'string', format: 'date-time' } },
  cascade: {
    name: 'cascade',
    in: 'query',
    description: 'delete its secrets with it',
    schema: { enum: ['true', 'false'] },
  },
  force: {
    name: 'force',
    in: 'query',
    description: 'delete for good, now',
    schema: { enum: ['true', 'false'] },
  },
  'If-Match': {
    name: 'If-Match',
    in: 'header',
    description: 'an ETag, a list of them, or *',
    schema: { type: 'string' },
  },
  'If-None-Match': {
    name: 'If-None-Match',
    in: 'header',
    description: 'answers 304 when it names the revision',
    schema: { type: 'string' },
  },
  'Idempotency-Key': {
    name: 'Idempotency-Key',
    in: 'header',
    description:
      '1–255 printable ASCII characters: the same request with the same key within 24 h answers the first answer again',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
  code: { name: 'code', in: 'query', schema: { type: 'string' } },
  state: { name: 'state', in: 'query', schema: { type: 'string' } },
  error: { name: 'error', in: 'query', schema: { type: 'string' } },
  error_description: { name: 'error_description', in: 'query', schema: { type: 'string' } },
  iss: { name: 'iss', in: 'query', description: 'RFC 9207; not checked', schema: { type: 'string' } },
};

const secretPath = '/v2/workspaces/{workspaceId}/secrets/{secretId}';
const one = (name: string) => ref(name);

const secretAttributesInput = jsonSchema(secretAttributesSchema, 'input');

const OPERATIONS: Record<string, Record<string, Operation>> = {
  '/v2/workspaces/{workspaceId}/secrets': {
    get: {
      summary: 'List auth-secrets (a page; filters combine)',
      permission: 'workspaces.auth_secret.get',
      parameters: [
        'workspaceId',
        'filter[user]',
        'filter[auth_client]',
        'filter[state]',
        'filter[deleted]',
        'page[offset]',
        'page[limit]',
        'page[after]',
      ],
      ok: { status: 200, description: 'a page of secrets', schema: one('SecretList') },
    },
    post: {
      summary: 'Create an auth-secret',
      permission: 'workspaces.auth_secret.create',
      parameters: ['workspaceId'],
      idempotent: true,
      body: requestDocument('auth-secret', secretAttributesInput, {
        id: 'optional',
        relationships: { 'auth-client': 'auth-client', auth_client: 'auth-client' },
      }),
      ok: {
        status: 201,
        description: 'the secret',
        schema: one('SecretDocument'),
        headers: { ...ETAG, Location: HEADER('its path') },
      },
      also: [502, 504],
    },
  },
  [secretPath]: {
    get: {
      summary: 'Read an auth-secret, with its credentials',
      permission: 'workspaces.auth_secret.get',
      parameters: ['workspaceId', 'secretId', 'If-None-Match'],
      ok: { status: 200, description: 'the secret', schema: one('SecretDocument'), headers: ETAG },
      also: [304],
    },
    patch: {
      summary: 'Change an auth-secret',
      permission: 'workspaces.auth_secret.edit',
      parameters: ['workspaceId', 'secretId', 'If-Match'],
      preconditions: true,
      body: requestDocument(
        'auth-secret',
        { ...secretAttributesInput, required: [] },
        {
          id: 'optional',
          relationships: { 'auth-client': 'auth-client', auth_client: 'auth-client' },
        },
      ),
      ok: { status: 200, description: 'the secret', schema: one('SecretDocument'), headers: ETAG },
    },
    delete: {
      summary: 'Delete an auth-secret (recoverably, unless DELETE_RECOVERY_DAYS is 0 or force)',
      permission: 'workspaces.auth_secret.delete',
      parameters: ['workspaceId', 'secretId', 'force', 'If-Match'],
      preconditions: true,
      ok: { status: 204, description: 'deleted' },
      also: [409],
    },
  },
  [`${secretPath}/refresh`]: {
    post: {
      summary: 'Refresh an oauth2 secret now',
      permission: 'workspaces.auth_secret.refresh',
      parameters: ['workspaceId', 'secretId'],
      ok: {
        status: 200,
        description: 'the secret with its new tokens',
        schema: one('SecretDocument'),
        headers: ETAG,
      },
      also: [...WITH_BODY, 502, 504],
    },
  },
  [`${secretPath}/restore`]: {
    post: {
      summary: 'Restore a deleted auth-secret (optionally onto another auth-client)',
      permission: 'workspaces.auth_secret.delete',
      parameters: ['workspaceId', 'secretId'],
      body: requestDocument(
        'auth-secret',
        { type: 'object' },
        { id: 'optional', relationships: { 'auth-client': 'auth-client' } },
      ),
      ok: { status: 200, description: 'the secret', schema: one('SecretDocument'), headers: ETAG },
    },
  },
  [`${secretPath}/versions`]: {
    get: {
      summary: "List a secret's credential versions (without credentials)",
      permission: 'workspaces.auth_secret.get',
      parameters: ['workspaceId', 'secretId'],
      ok: { status: 200, description: 'newest first', schema: one('VersionList') },
    },
  },
  [`${secretPath}/versions/{versionNumber}`]: {
    get: {
      summary: 'Read one credential version, with its credentials',
      permission: 'workspaces.auth_secret.get',
      parameters: ['workspaceId', 'secretId', 'versionNumber'],
      ok: { status: 200, description: 'the version', schema: one('VersionDocument') },
    },
  },
  [`${secretPath}/versions/{versionNumber}/restore`]: {
    post: {
      summary: 'Make a version current again (as a new version)',
      permission: 'workspaces.auth_secret.edit',
      parameters: ['workspaceId', 'secretId', 'versionNumber'],
      ok: { status: 200, description: 'the secret', schema: one('SecretDocument'), headers: ETAG },
      also: WITH_BODY,
    },
  },
  '/v2/workspaces/{workspaceId}/connect-sessions': {
    post: {
      summary: 'Start connecting an account with OAuth (or reconnect a secret in place)',
      permission: 'workspaces.auth_secret.create (edit to reconnect)',
      parameters: ['workspaceId'],
      body: requestDocument('connect-session', jsonSchema(connectSessionAttributesSchema, 'input'), {
        relationships: { 'auth-client': 'auth-client', 'auth-secret': 'auth-secret' },
      }),
      ok: {
        status: 201,
        description: 'the session, with the URL to send the user to',
        schema: one('ConnectSessionDocument'),
      },
    },
  },
  '/v2/oauth/callback': {
    get: {
      summary: 'Where the provider sends the user back (no credentials: the state names the session)',
      public: true,
      parameters: ['code', 'state', 'error', 'error_description', 'iss'],
      ok: {
        status: 303,
        description: "to the session's return_url, with auth_secret_id or error",
        headers: {
          Location: HEADER('the return_url with the outcome'),
          'Referrer-Policy': HEADER('no-referrer'),
        },
      },
    },
  },
  '/v2/workspaces/{workspaceId}': {
    get: {
      summary: 'Read a workspace',
      permission: 'any membership',
      parameters: ['workspaceId'],
      ok: { status: 200, description: 'the workspace', schema: one('WorkspaceDocument') },
    },
  },
  '/v2/users/{userId}': {
    get: {
      summary: 'Read a user',
      permission: 'the user, or someone sharing a workspace with them',
      parameters: ['userId'],
      ok: { status: 200, description: 'the user', schema: one('UserDocument') },
    },
  },
  '/v2/tenants/{tenantId}/auth-clients': {
    get: {
      summary: "List a tenant's auth-clients",
      permission: 'tenants.auth_client.get, or membership of a workspace of the tenant',
      parameters: ['tenantId', 'page[offset]', 'page[limit]'],
      ok: { status: 200, description: 'a page', schema: one('AuthClientList') },
    },
    post: {
      summary: 'Create an auth-client',
      permission: 'tenants.auth_client.create',
      parameters: ['tenantId'],
      idempotent: true,
      body: requestDocument('auth-client', {
        ...jsonSchema(authClientAttributesSchema, 'input'),
        required: ['name'],
      }),
      ok: {
        status: 201,
        description: 'the auth-client',
        schema: one('AuthClientDocument'),
        headers: { ...ETAG, Location: HEADER('its path') },
      },
    },
  },
  '/v2/tenants/{tenantId}/auth-clients/{authClientId}': {
    get: {
      summary: 'Read an auth-client',
      permission: 'as the list',
      parameters: ['tenantId', 'authClientId', 'If-None-Match'],
      ok: { status: 200, description: 'the auth-client', schema: one('AuthClientDocument'), headers: ETAG },
      also: [304],
    },
    patch: {
      summary: 'Change an auth-client',
      permission: 'tenants.auth_client.edit',
      parameters: ['tenantId', 'authClientId', 'If-Match'],
      preconditions: true,
      body: requestDocument('auth-client', jsonSchema(authClientAttributesSchema, 'input'), {
        id: 'optional',
      }),
      ok: { status: 200, description: 'the auth-client', schema: one('AuthClientDocument'), headers: ETAG },
    },
    delete: {
      summary: 'Delete an auth-client (409 while secrets use it, unless cascade)',
      permission: 'tenants.auth_client.delete',
      parameters: ['tenantId', 'authClientId', 'cascade', 'If-Match'],
      preconditions: true,
      ok: { status: 204, description: 'deleted' },
      also: [409],
    },
  },
  '/v2/tenants/{tenantId}/webhooks': {
    get: {
      summary: "List a tenant's webhooks",
      permission: 'tenants.webhook.get',
      parameters: ['tenantId', 'page[offset]', 'page[limit]'],
      ok: { status: 200, description: 'a page', schema: one('WebhookList') },
    },
    post: {
      summary: 'Subscribe a URL to auth-secret events (Standard Webhooks)',
      permission: 'tenants.webhook.create',
      parameters: ['tenantId'],
      idempotent: true,
      body: requestDocument('webhook', {
        ...jsonSchema(webhookAttributesSchema, 'input'),
        required: ['url'],
      }),
      ok: {
        status: 201,
        description: 'the webhook, with its signing secret (shown once)',
        schema: one('WebhookDocument'),
        headers: { ...ETAG, Location: HEADER('its path') },
      },
    },
  },
  '/v2/tenants/{tenantId}/webhooks/{webhookId}': {
    get: {
      summary: 'Read a webhook',
      permission: 'tenants.webhook.get',
      parameters: ['tenantId', 'webhookId', 'If-None-Match'],
      ok: { status: 200, description: 'the webhook', schema: one('WebhookDocument'), headers: ETAG },
      also: [304],
    },
    patch: {
      summary: 'Change a webhook',
      permission: 'tenants.webhook.edit',
      parameters: ['tenantId', 'webhookId', 'If-Match'],
      preconditions: true,
      body: requestDocument('webhook', jsonSchema(webhookAttributesSchema, 'input'), { id: 'optional' }),
      ok: { status: 200, description: 'the webhook', schema: one('WebhookDocument'), headers: ETAG },
    },
    delete: {
      summary: 'Delete a webhook',
      permission: 'tenants.webhook.delete',
      parameters: ['tenantId', 'webhookId', 'If-Match'],
      preconditions: true,
      ok: { status: 204, description: 'deleted' },
    },
  },
  '/v2/tenants/{tenantId}/webhooks/{webhookId}/deliveries': {
    get: {
      summary: "A webhook's deliveries, newest first",
      permission: 'tenants.webhook.get',
      parameters: ['tenantId', 'webhookId', 'page[before]', 'page[limit]'],
      ok: { status: 200, description: 'a page', schema: one('DeliveryList') },
    },
  },
  '/v2/workspaces/{workspaceId}/events': {
    get: {
      summary: "The workspace's auth-secret events, oldest first",
      permission: 'workspaces.auth_secret.get',
      parameters: ['workspaceId', 'filter[type]', 'filter[auth_secret]', 'page[after]', 'page[limit]'],
      ok: { status: 200, description: 'a page', schema: one('EventList') },
    },
  },
  '/v2/workspaces/{workspaceId}/audit-events': {
    get: {
      summary: "The workspace's audit trail, oldest first",
      permission: 'workspaces.audit.get',
      parameters: [
        'workspaceId',
        'filter[auth_secret]',
        'filter[actor]',
        'filter[action]',
        'filter[since]',
        'filter[until]',
        'page[after]',
        'page[limit]',
      ],
      ok: { status: 200, description: 'a page', schema: one('AuditEventList') },
    },
  },
};

function operation(path: string, method: string, spec: Operation): JsonSchema {
  const statuses = new Set<number>([
    ...(spec.public ? [400, 500, 502] : COMMON),
    ...GATEWAY,
    ...(spec.also ?? []),
    ...(spec.preconditions ? [409, 412, 428] : []),
    ...(spec.idempotent ? [409, 422] : []),
    ...(spec.body ? WITH_BODY : []),
  ]);
  const okHeaders = { ...ALWAYS_HEADERS, ...(spec.ok.headers ?? {}) };
  const responses: Record<string, unknown> = {
    [String(spec.ok.status)]: {
      description: spec.ok.description,
      headers: okHeaders,
      ...(spec.ok.schema ? { content: content(spec.ok.schema) } : {}),
    },
    ...(statuses.has(304)
      ? { 304: { description: 'unchanged since the ETag in If-None-Match', headers: { ...ALWAYS_HEADERS, ...ETAG } } }
      : {}),
    ...errors(...[...statuses].filter((status) => status !== 304).sort()),
  };
  if (spec.public) {
    // The callback answers a browser: a page, not a JSON:API document, when it cannot redirect.
    const page = (description: string) => ({
      description,
      headers: {
        ...ALWAYS_HEADERS,
        'Content-Security-Policy': HEADER("default-src 'none'"),
        'Referrer-Policy': HEADER('no-referrer'),
      },
      content: { 'text/html': { schema: { type: 'string' } } },
    });
    responses['200'] = page('without a return_url: a page saying the account is connected');
    responses['400'] = page(
      'a page saying why not (an unknown, used or altered state; the provider refused)',
    );
    responses['500'] = page('a page: this service failed');
    responses['502'] = page('a page: the provider failed');
  }
  return {
    operationId: `${method}${path
      .replace(/[{}]/g, '')
      .replace(/\/(\w)/g, (_m, letter: string) => letter.toUpperCase())
      .replace(/[^A-Za-z0-9]/g, '')}`,
    summary: spec.summary,
    ...(spec.permission ? { description: `Permission: ${spec.permission}.` } : {}),
    parameters: [...(spec.parameters ?? []), ...(spec.idempotent ? ['Idempotency-Key'] : [])].map((name) => {
      const parameter = PARAMETERS[name];
      if (!parameter) throw new Error(`no parameter ${name}`);
      return parameter;
    }),
    ...(spec.body
      ? {
          requestBody: {
            required: method !== 'post' || !path.endsWith('/restore'),
            content: content(spec.body),
          },
        }
      : {}),
    responses,
    ...(spec.public ? { security: [] } : {}),
  };
}

export function v2Document(): JsonSchema {
  const paths = Object.fromEntries(
    Object.entries(OPERATIONS).map(([path, methods]) => [
      path,
      Object.fromEntries(
        Object.entries(methods).map(([method, spec]) => [method, operation(path, method, spec)]),
      ),
    ]),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'auth-secrets v2',
      version: '2',
      description:
        'Integration credentials: auth-secrets, auth-clients, webhooks, events, the audit trail, connecting accounts with OAuth. JSON:API.',
    },
    security: [{ basic: [] }, { apiKey: [] }],
    paths: {
      ...paths,
      '/v2/openapi.json': {
        get: {
          operationId: 'getOpenApiV2',
          summary: 'This document',
          security: [],
          responses: {
            200: {
              description: 'OpenAPI 3.1',
              headers: ALWAYS_HEADERS,
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            ...errors(500, ...GATEWAY),
          },
        },
      },
    },
    components: {
      responses: ERROR_RESPONSES,
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'EMAIL:APIKEY' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      },
      schemas: {
        Errors: jsonSchema(resources.errorDocument),
        GatewayError: {
          type: 'object',
          required: ['message'],
          properties: { message: { type: 'string' } },
          description: "API Gateway's own answer",
        },
        SecretDocument: jsonSchema(resources.single(resources.secretResource)),
        SecretList: jsonSchema(resources.countedList(resources.secretResource)),
        VersionDocument: jsonSchema(resources.single(resources.versionResource)),
        VersionList: jsonSchema(resources.countedList(resources.versionResource).omit({ links: true })),
        ConnectSessionDocument: jsonSchema(resources.single(resources.connectSessionResource)),
        WorkspaceDocument: jsonSchema(resources.single(resources.workspaceResource)),
        UserDocument: jsonSchema(resources.single(resources.userResource)),
        AuthClientDocument: jsonSchema(resources.single(resources.authClientResource)),
        AuthClientList: jsonSchema(resources.countedList(resources.authClientResource)),
        WebhookDocument: jsonSchema(resources.single(resources.webhookResource)),
        WebhookList: jsonSchema(resources.countedList(resources.webhookResource)),
        DeliveryList: jsonSchema(resources.keyedList(resources.deliveryResource)),
        EventList: jsonSchema(resources.keyedList(resources.eventResource)),
        AuditEventList: jsonSchema(resources.keyedList(resources.auditEventResource)),
      },
    },
  };
}
