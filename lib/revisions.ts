import { PreconditionFailedError } from './errors';

/**
 * What a write requires of a record's current revision (its `version`, bumped by every write): that
 * the record exists at all (`any`), or that its revision is one of these. The HTTP edge reads it from
 * `If-Match`; the record's revision is what its `ETag` names.
 */
export type ExpectedRevision = 'any' | readonly number[];

/** Throws 412 unless `current` is a revision `expected` allows (no expectation: any). */
export function requireRevision(expected: ExpectedRevision | undefined, current: number, what: string): void {
  if (expected === undefined || expected === 'any' || expected.includes(current)) return;
  throw new PreconditionFailedError(
    `The ${what} changed since the ETag given in If-Match was read (it is at revision ${current} now); read it again.`,
    { source: { header: 'If-Match' } },
  );
}
