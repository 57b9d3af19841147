import { PreconditionRequiredError } from '../errors';
import type { ExpectedRevision } from '../revisions';

/**
 * Entity tags of single resources (v2 secrets, auth-clients, webhooks): a strong tag naming the
 * record's revision, which every write bumps (a refresh included). RFC 9110 §13.1.
 */
export const etagOf = (revision: number): string => `"${revision}"`;

/** The entity tags a precondition header lists, or `*`; `undefined` when the header is absent. */
function readTags(header: string | undefined): '*' | Array<{ weak: boolean; opaque: string }> | undefined {
  if (header === undefined) return undefined;
  if (header.trim() === '*') return '*';
  const tags: Array<{ weak: boolean; opaque: string }> = [];
  // entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, in a comma-separated list.
  for (const match of header.matchAll(/(W\/)?"([^"]*)"/g)) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
  }
  return tags;
}

/** The revision of one of our strong tags' opaque part, or undefined for anything else. */
function revisionOf(opaque: string): number | undefined {
  return /^[0-9]{1,15}$/.test(opaque) ? Number(opaque) : undefined;
}

/**
 * What `If-Match` asks of the resource: `any` for `*`, else the revisions its strong tags name
 * (weak tags never match under If-Match's strong comparison; a list of none matches nothing).
 * With REQUIRE_IF_MATCH, a write without it answers 428.
 */
export function readIfMatch(
  headers: Readonly<Record<string, string>>,
  options: { required: boolean },
): ExpectedRevision | undefined {
  const tags = readTags(headers['if-match']);
  if (tags === undefined) {
    if (!options.required) return undefined;
    throw new PreconditionRequiredError(
      'This service requires If-Match on PATCH and DELETE: send the ETag of the resource as you read it.',
      { source: { header: 'If-Match' } },
    );
  }
  if (tags === '*') return 'any';
  return tags.flatMap((tag) => {
    const revision = tag.weak ? undefined : revisionOf(tag.opaque);
    return revision === undefined ? [] : [revision];
  });
}

/** Whether `If-None-Match` (weak comparison) matches the resource at `revision`: answer 304. */
export function isNotModified(headers: Readonly<Record<string, string>>, revision: number): boolean {
  const tags = readTags(headers['if-none-match']);
  if (tags === undefined) return false;
  if (tags === '*') return true;
  return tags.some((tag) => revisionOf(tag.opaque) === revision);
}
