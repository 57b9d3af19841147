import { V1_CONTENT_TYPES } from '../model';
import { MAX_SECRET_BYTES, SECRET_TYPES } from '../barbican/input';
import { ALWAYS_HEADERS, type JsonSchema } from './jsonSchema';

/**
 * The OpenAPI 3.1 document of the v1 (OpenStack Barbican) secrets API. Its requests are checked
 * by hand-written validators that reproduce Barbican's own (lib/barbican/input.ts), not by zod,
 * so the schemas here are Barbican's JSON schemas written out; the end-to-end suite checks every
 * v1 answer against this document.
 */

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const HEADER = (description: string) => ({ description, required: true, schema: { type: 'string' } });
const PAYLOAD_TYPES = Object.fromEntries(
  V1_CONTENT_TYPES.map((type) => [type, { schema: { type: 'string' } }]),
);

const MEANINGS: Record<number, string> = {
  400: "invalid input, with Barbican's message",
  401: 'missing or wrong credentials',
  403: 'without the permission in the project',
  404: 'no such secret (or metadatum) in the project',
  406: 'no acceptable media type',
  409: "a conflict: the secret has a payload already, the metadatum exists, the key in the body is not the URL's, or a request with the same Idempotency-Key is still running",
  413: 'payload or request too large',
  415: 'unsupported Content-Type',
  422: 'an Idempotency-Key used before for another request',
  429: 'throttled by the HTTP API stage (API Gateway\'s `{"message": …}`)',
  500: 'an internal error',
  503: 'the audit trail could not record the request, or the function failed',
  504: 'the function did not answer in time',
};
/** What API Gateway itself may answer on any route (throttled, the function failed or timed out). */
const GATEWAY = [429, 503, 504];
/** Error answers are described once, in components.responses, and referred to. */
const errors = (...statuses: number[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
  );
const COMMON = [400, 401, 403, 404, 406, 500, ...GATEWAY];

const projectHeader = {
  name: 'X-Project-Id',
  in: 'header',
  description: "the workspace (Barbican's project); without it, the caller's only workspace",
  schema: { type: 'string' },
};
const secretId = { name: 'secretId', in: 'path', required: true, schema: { type: 'string' } };
const key = { name: 'key', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z0-9_-]+$' } };

const operation = (spec: {
  summary: string;
  parameters?: JsonSchema[];
  body?: Record<string, unknown>;
  ok: Record<string, unknown>;
  also?: number[];
}) => ({
  summary: spec.summary,
  parameters: [projectHeader, ...(spec.parameters ?? [])],
  ...(spec.body ? { requestBody: { required: true, content: spec.body } } : {}),
  responses: { ...spec.ok, ...errors(...new Set([...COMMON, ...(spec.also ?? [])])) },
});

const answer = (
  description: string,
  content?: Record<string, unknown>,
  headers: Record<string, unknown> = {},
) => ({
  description,
  headers: { ...ALWAYS_HEADERS, ...headers },
  ...(content ? { content } : {}),
});

export function v1Document(): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'auth-secrets v1 (OpenStack Barbican secrets)',
      version: '1',
      description: "Barbican's v1 secrets API: secrets with payloads and user metadata.",
    },
    security: [{ apiKey: [] }, { basic: [] }],
    paths: {
      '/v1/secrets': {
        get: operation({
          summary: 'List secrets (Barbican paging and filters)',
          parameters: [
            'offset',
            'limit',
            'name',
            'alg',
            'mode',
            'bits',
            'secret_type',
            'acl_only',
            'created',
            'updated',
            'expiration',
            'sort',
          ].map((name) => ({ name, in: 'query', schema: { type: 'string' } })),
          ok: { 200: answer('a page', json(ref('SecretList'))) },
        }),
        post: operation({
          summary: 'Create a secret (with a payload, or to be given one with PUT)',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              schema: { type: 'string', minLength: 1, maxLength: 255 },
            },
          ],
          body: json(ref('NewSecret')),
          ok: { 201: answer('created', json(ref('SecretRef')), { Location: HEADER('the secret_ref') }) },
          also: [409, 413, 415, 422],
        }),
      },
      '/v1/secrets/{secretId}': {
        get: operation({
          summary: "A secret's metadata, or its payload when Accept names a payload type",
          parameters: [secretId],
          ok: { 200: answer('the metadata (or the payload)', { ...json(ref('Secret')), ...PAYLOAD_TYPES }) },
        }),
        put: operation({
          summary: 'Give a secret created without a payload its payload (once)',
          parameters: [secretId, { name: 'Content-Encoding', in: 'header', schema: { enum: ['base64'] } }],
          body: {
            'text/plain': { schema: { type: 'string' } },
            'application/octet-stream': { schema: { type: 'string' } },
          },
          ok: { 204: answer('stored') },
          also: [409, 413, 415],
        }),
        delete: operation({
          summary: 'Delete a secret',
          parameters: [secretId],
          ok: { 204: answer('deleted') },
        }),
      },
      '/v1/secrets/{secretId}/payload': {
        get: operation({
          summary: "A secret's payload",
          parameters: [secretId],
          ok: { 200: answer('the payload bytes', PAYLOAD_TYPES) },
        }),
      },
      '/v1/secrets/{secretId}/metadata': {
        get: operation({
          summary: "A secret's user metadata",
          parameters: [secretId],
          ok: { 200: answer('the metadata', json(ref('Metadata'))) },
        }),
        put: operation({
          summary: 'Replace all user metadata',
          parameters: [secretId],
          body: json(ref('Metadata')),
          ok: {
            201: answer(
              'replaced',
              json({
                type: 'object',
                required: ['metadata_ref'],
                properties: { metadata_ref: { type: 'string' } },
                additionalProperties: false,
              }),
            ),
          },
          also: [413, 415],
        }),
        post: operation({
          summary: 'Add one metadatum',
          parameters: [secretId],
          body: json(ref('Metadatum')),
          ok: { 201: answer('added', json(ref('Metadatum')), { Location: HEADER('the metadatum') }) },
          also: [409, 413, 415],
        }),
      },
      '/v1/secrets/{secretId}/metadata/{key}': {
        get: operation({
          summary: 'One metadatum',
          parameters: [secretId, key],
          ok: { 200: answer('it', json(ref('Metadatum'))) },
        }),
        put: operation({
          summary: 'Change one metadatum',
          parameters: [secretId, key],
          body: json(ref('Metadatum')),
          ok: { 200: answer('changed', json(ref('Metadatum'))) },
          also: [409, 413, 415],
        }),
        delete: operation({
          summary: 'Delete one metadatum',
          parameters: [secretId, key],
          ok: { 204: answer('deleted') },
        }),
      },
      '/v1/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: { 200: answer('OpenAPI 3.1', json({ type: 'object' })), ...errors(500, ...GATEWAY) },
        },
      },
    },
    components: {
      responses: Object.fromEntries(
        Object.entries(MEANINGS).map(([status, description]) => [
          `Error${status}`,
          GATEWAY.includes(Number(status))
            ? { description, content: json({ anyOf: [ref('Error'), ref('GatewayError')] }) }
            : { description, headers: ALWAYS_HEADERS, content: json(ref('Error')) },
        ]),
      ),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
        basic: { type: 'http', scheme: 'basic', description: 'EMAIL:APIKEY' },
      },
      schemas: {
        GatewayError: {
          type: 'object',
          required: ['message'],
          properties: { message: { type: 'string' } },
          description: "API Gateway's own answer",
        },
        Error: {
          type: 'object',
          required: ['code', 'title', 'description'],
          properties: {
            code: { type: 'integer' },
            title: { type: 'string' },
            description: { type: 'string' },
          },
          additionalProperties: false,
        },
        NewSecret: {
          type: 'object',
          properties: {
            name: { type: ['string', 'null'], maxLength: 255 },
            algorithm: { type: 'string', maxLength: 255 },
            mode: { type: 'string', maxLength: 255 },
            bit_length: { type: 'integer', minimum: 1, maximum: 32767 },
            expiration: { type: 'string', maxLength: 255 },
            payload: { type: 'string', description: `at most ${MAX_SECRET_BYTES} bytes once decoded` },
            payload_content_type: { type: 'string', maxLength: 255 },
            payload_content_encoding: { enum: ['base64'] },
            secret_type: { enum: [...SECRET_TYPES] },
          },
        },
        SecretRef: {
          type: 'object',
          required: ['secret_ref'],
          properties: { secret_ref: { type: 'string' } },
          additionalProperties: false,
        },
        Secret: {
          type: 'object',
          required: [
            'status',
            'secret_ref',
            'name',
            'algorithm',
            'bit_length',
            'mode',
            'secret_type',
            'expiration',
            'created',
            'updated',
            'creator_id',
          ],
          properties: {
            status: { const: 'ACTIVE' },
            secret_ref: { type: 'string' },
            name: { type: ['string', 'null'] },
            algorithm: { type: ['string', 'null'] },
            bit_length: { type: ['integer', 'null'] },
            mode: { type: ['string', 'null'] },
            secret_type: { type: 'string' },
            content_types: {
              type: 'object',
              required: ['default'],
              properties: { default: { enum: [...V1_CONTENT_TYPES] } },
              additionalProperties: false,
            },
            expiration: { type: ['string', 'null'] },
            created: { type: 'string' },
            updated: { type: 'string' },
            creator_id: { type: 'string' },
          },
          additionalProperties: false,
        },
        SecretList: {
          type: 'object',
          required: ['secrets', 'total'],
          properties: {
            secrets: { type: 'array', items: ref('Secret') },
            total: { type: 'integer' },
            next: { type: 'string' },
            previous: { type: 'string' },
          },
          additionalProperties: false,
        },
        Metadata: {
          type: 'object',
          required: ['metadata'],
          properties: { metadata: { type: 'object', additionalProperties: { type: 'string' } } },
          additionalProperties: false,
        },
        Metadatum: {
          type: 'object',
          required: ['key', 'value'],
          properties: { key: { type: 'string' }, value: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
  };
}
