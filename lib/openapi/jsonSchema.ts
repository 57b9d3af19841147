// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';
import { RESPONSE_HEADERS } from '../http/responseHeaders';

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/**
 * A zod schema as JSON Schema for an OpenAPI document: what a request may send (`input`: before
 * transforms) or what an answer holds (`output`). Members zod cannot express (JSON objects checked
 * by a custom rule) become `{}`, any value; the document says in words what they take.
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** A JSON:API resource object for a request: `type`, perhaps `id`, `attributes` and relationships. */
export function requestDocument(
  type: string,
  attributes: JsonSchema,
  options: {
    id?: 'forbidden' | 'optional';
    relationships?: Record<string, string>;
    requiredRelationships?: string[];
  } = {},
): JsonSchema {
  const relationships = Object.entries(options.relationships ?? {});
  return {
    type: 'object',
    required: ['data'],
    properties: {
      data: {
        type: 'object',
        required: ['type'],
        properties: {
          type: { const: type },
          ...(options.id === 'optional' ? { id: { type: 'string' } } : {}),
          attributes,
          ...(relationships.length > 0
            ? {
                relationships: {
                  type: 'object',
                  properties: Object.fromEntries(
                    relationships.map(([name, relatedType]) => [
                      name,
                      {
                        type: 'object',
                        required: ['data'],
                        properties: {
                          data: {
                            type: 'object',
                            required: ['type', 'id'],
                            properties: { type: { const: relatedType }, id: { type: 'string' } },
                          },
                        },
                      },
                    ]),
                  ),
                  ...(options.requiredRelationships ? { required: options.requiredRelationships } : {}),
                },
              }
            : {}),
        },
      },
    },
  };
}

/** The headers on every answer (lib/http/responseHeaders.ts), as OpenAPI response headers. */
export const ALWAYS_HEADERS = Object.fromEntries(
  Object.entries(RESPONSE_HEADERS).map(([name, value]) => [
    name,
    { description: `always ${value}`, required: true, schema: { const: value } },
  ]),
);
