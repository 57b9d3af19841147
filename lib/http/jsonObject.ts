// A namespace import lets esbuild drop the parts of zod (and its locales) that are not used.
import * as z from 'zod';

/**
 * A JSON object from a request body, passed on exactly as JSON.parse made it. zod's `z.record`
 * (and a non-strict `z.object`) copy an object member by member by assignment, and assigning
 * `__proto__` sets the copy's prototype instead of a member: a member a client named `__proto__`
 * would vanish from what is stored while the request succeeds. JSON.parse keeps it as an own
 * member, and so does this schema; whatever reads the members next (a strict schema, or nothing
 * for `other` credentials) decides about them.
 */
export const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { message: 'must be a JSON object' },
);
