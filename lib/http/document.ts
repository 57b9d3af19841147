import * as z from 'zod';
import { BadRequestError, ConflictError, ForbiddenError, ValidationError } from '../errors';
import { jsonObject } from './jsonObject';

/**
 * The resource object of a JSON:API create or update document: `data` with the expected `type`,
 * no client-chosen id on create, and on update no id other than the URL's. Its attributes are
 * left to the caller's schema (see attributesProblem).
 */
export function readResourceObject(
  body: unknown,
  resourceType: string,
  mode: 'create' | { id: string },
): { attributes: Record<string, unknown>; relationships: Record<string, unknown> } {
  if (typeof body !== 'object' || body === null || !('data' in body)) {
    throw new BadRequestError('The body must be a JSON:API document with a data member.', {
      source: { pointer: '/data' },
    });
  }
  const resource = z
    .object({
      type: z.string(),
      id: z.string().optional(),
      attributes: jsonObject.optional(),
      relationships: jsonObject.optional(),
    })
    .safeParse(body.data);
  if (!resource.success) {
    throw new ValidationError('data must be a resource object with a type.', {
      source: { pointer: '/data' },
    });
  }
  if (resource.data.type !== resourceType) {
    throw new ConflictError(`data.type must be ${resourceType}.`, { source: { pointer: '/data/type' } });
  }
  if (mode === 'create' && resource.data.id !== undefined) {
    throw new ForbiddenError(
      `${capitalized(resourceType)} ids are chosen by the server; leave out data.id.`,
      {
        source: { pointer: '/data/id' },
      },
    );
  }
  if (mode !== 'create' && resource.data.id !== undefined && resource.data.id !== mode.id) {
    throw new ConflictError(`data.id does not match the ${resourceType} in the URL.`, {
      source: { pointer: '/data/id' },
    });
  }
  return { attributes: resource.data.attributes ?? {}, relationships: resource.data.relationships ?? {} };
}

/** A 422 naming the attribute the first issue of a failed attribute parse is about. */
export function attributeError(error: z.ZodError, resourceType: string): ValidationError {
  const [issue] = error.issues;
  const path = issue?.path.map(String) ?? [];
  const field = issue?.code === 'unrecognized_keys' ? (issue.keys[0] ?? '') : (path[0] ?? '');
  return new ValidationError(
    issue?.code === 'unrecognized_keys'
      ? `${issue.keys.join(', ')} is not ${article(resourceType)} ${resourceType} attribute.`
      : `${path.join('.')}: ${issue?.message ?? 'invalid'}`,
    { source: { pointer: `/data/attributes/${field}` } },
  );
}

const capitalized = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
