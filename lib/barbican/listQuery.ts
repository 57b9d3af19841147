import { BadRequestError } from '../errors';
import type { V1SecretListEntry } from '../model';
import { instantOf, parseIsoTime } from './isoTime';
import { cleanPaging, type Paging } from './paging';
import { pyInt, unquotePlus } from './python';

/**
 * The query of `GET /v1/secrets`, read as Barbican's SecretsController.on_get and
 * SecretRepo.get_secret_list read it, and applied to the list index's entries in memory.
 */

const SORT_KEYS = [
  'algorithm',
  'bit_length',
  'created',
  'expiration',
  'mode',
  'name',
  'secret_type',
  'status',
  'updated',
] as const;
type SortKey = (typeof SORT_KEYS)[number];
type Direction = 'asc' | 'desc';
const DATE_FIELDS = ['created', 'updated', 'expiration'] as const;
type DateField = (typeof DATE_FIELDS)[number];
type Comparison = 'eq' | 'gt' | 'gte' | 'lt' | 'lte';

export interface ListQuery {
  readonly paging: Paging;
  readonly name?: LikePattern;
  readonly algorithm?: LikePattern;
  readonly mode?: LikePattern;
  readonly bits?: bigint;
  readonly secretType?: string;
  readonly dates: ReadonlyArray<{ field: DateField; comparison: Comparison; instant: bigint }>;
  readonly sort: ReadonlyArray<{ key: SortKey; direction: Direction }>;
  /** The filters as given, for the `next`/`previous` links. */
  readonly keep: ReadonlyArray<readonly [string, string]>;
}

/** Barbican's answer to a date filter or sort it cannot read. */
function badQuery(): BadRequestError {
  return new BadRequestError('URI provided invalid query string parameters.');
}

export function readListQuery(query: URLSearchParams): ListQuery {
  // A repeated parameter: the last one counts (webob's MultiDict.get).
  const last = (name: string) => query.getAll(name).at(-1);
  const keep: Array<[string, string]> = [];
  const text = (name: string) => {
    const value = last(name);
    if (value) keep.push([name, value]);
    return value || undefined;
  };
  // Barbican unquotes the (already decoded) name once more, with unquote_plus.
  const name = text('name');
  const algorithm = text('alg');
  const mode = text('mode');
  const rawBits = last('bits');
  const bits = rawBits === undefined ? 0n : (pyInt(rawBits) ?? 0n);
  if (bits > 0n && rawBits !== undefined) keep.push(['bits', rawBits]);
  const secretType = text('secret_type');
  const dates = DATE_FIELDS.flatMap((field) => {
    const value = text(field);
    if (value === undefined) return [];
    const filters = readDateFilter(value);
    if (!filters) throw badQuery();
    return filters.map((filter) => ({ field, ...filter }));
  });
  const sortText = text('sort');
  const sort = sortText === undefined ? [] : readSort(sortText);
  if (!sort) throw badQuery();
  return {
    paging: cleanPaging(last('offset'), last('limit')),
    ...(name ? { name: likePattern(unquotePlus(name)) } : {}),
    ...(algorithm ? { algorithm: likePattern(algorithm) } : {}),
    ...(mode ? { mode: likePattern(mode) } : {}),
    ...(bits > 0n ? { bits } : {}),
    ...(secretType ? { secretType } : {}),
    dates,
    sort,
    keep,
  };
}

/**
 * The list as Barbican would give it: not expired, every filter applied, sorted by the `sort`
 * keys and then in creation order (ids are UUIDv7), so the order is always the same.
 */
export function applyListQuery(
  entries: readonly V1SecretListEntry[],
  query: ListQuery,
  now: bigint,
): V1SecretListEntry[] {
  const kept = entries.filter(
    (entry) =>
      (entry.expiration === null || instantOf(entry.expiration) > now) &&
      matches(query.name, entry.name) &&
      matches(query.algorithm, entry.algorithm) &&
      matches(query.mode, entry.mode) &&
      (query.bits === undefined || (entry.bitLength !== null && BigInt(entry.bitLength) === query.bits)) &&
      (query.secretType === undefined || entry.secretType === query.secretType) &&
      query.dates.every((filter) => compareDate(entry, filter)),
  );
  return kept.sort((a, b) => {
    for (const { key, direction } of query.sort) {
      const order = compareValues(sortValue(a, key), sortValue(b, key));
      if (order !== 0) return direction === 'asc' ? order : -order;
    }
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  });
}

/** Whether the query asks for the list as it is stored: no filter, no sort (creation order). */
export function isPlainListing(query: ListQuery): boolean {
  return (
    query.name === undefined &&
    query.algorithm === undefined &&
    query.mode === undefined &&
    query.bits === undefined &&
    query.secretType === undefined &&
    query.dates.length === 0 &&
    query.sort.length === 0
  );
}

/** One piece of a LIKE pattern: a character (lower-cased), `_` (any one) or `%` (any run). */
type LikeToken = { readonly char: string } | 'one' | 'run';

/**
 * SQL LIKE, as Barbican's `Secret.name.like(name)` runs on its usual database (MySQL):
 * `%` any run, `_` any one character, `\` escapes, letters compared without regard to case.
 * Matched by the two-pointer wildcard walk, never a regular expression: a pattern from the query
 * string must not be able to make matching take exponential time.
 */
export class LikePattern {
  private readonly tokens: LikeToken[] = [];

  constructor(pattern: string) {
    const chars = [...pattern.toLowerCase()];
    for (let index = 0; index < chars.length; index++) {
      const char = chars[index] ?? '';
      if (char === '\\' && index + 1 < chars.length) this.tokens.push({ char: chars[++index] ?? '' });
      else if (char === '%') {
        if (this.tokens.at(-1) !== 'run') this.tokens.push('run');
      } else if (char === '_') this.tokens.push('one');
      else this.tokens.push({ char });
    }
  }

  test(value: string): boolean {
    const text = [...value.toLowerCase()];
    const { tokens } = this;
    let position = 0;
    let token = 0;
    let lastRun = -1;
    let resumeAt = 0;
    while (position < text.length) {
      const current = tokens[token];
      if (current === 'one' || (typeof current === 'object' && current.char === text[position])) {
        token += 1;
        position += 1;
      } else if (current === 'run') {
        lastRun = token;
        token += 1;
        resumeAt = position;
      } else if (lastRun >= 0) {
        token = lastRun + 1;
        resumeAt += 1;
        position = resumeAt;
      } else {
        return false;
      }
    }
    while (tokens[token] === 'run') token += 1;
    return token === tokens.length;
  }
}

function likePattern(pattern: string): LikePattern {
  return new LikePattern(pattern);
}

function matches(pattern: LikePattern | undefined, value: string | null): boolean {
  return pattern === undefined || (value !== null && pattern.test(value));
}

/** `_is_valid_date_filter`: comma-separated `[gt:|gte:|lt:|lte:]<ISO 8601>`, no contradictions. */
function readDateFilter(value: string): Array<{ comparison: Comparison; instant: bigint }> | undefined {
  const seen = new Set<Comparison>();
  const filters: Array<{ comparison: Comparison; instant: bigint }> = [];
  for (const filter of value.split(',')) {
    const prefix = /^(gte|gt|lte|lt):/.exec(filter)?.[1] as Comparison | undefined;
    const comparison: Comparison = prefix ?? 'eq';
    const conflicts: Record<Comparison, Comparison[]> = {
      gt: ['gt', 'gte'],
      gte: ['gt', 'gte', 'eq'],
      lt: ['lt', 'lte'],
      lte: ['lt', 'lte', 'eq'],
      eq: ['eq', 'gte', 'lte'],
    };
    if (conflicts[comparison].some((other) => seen.has(other))) return undefined;
    const instant = parseIsoTime(prefix ? filter.slice(prefix.length + 1) : filter);
    if (instant === undefined) return undefined;
    seen.add(comparison);
    filters.push({ comparison, instant });
  }
  return filters;
}

function compareDate(
  entry: V1SecretListEntry,
  filter: { field: DateField; comparison: Comparison; instant: bigint },
): boolean {
  const stored =
    filter.field === 'created'
      ? entry.createdAt
      : filter.field === 'updated'
        ? entry.updatedAt
        : entry.expiration;
  // NULL compares as nothing in SQL: a secret without an expiration never matches an expiration filter.
  if (stored === null) return false;
  const value = instantOf(stored);
  switch (filter.comparison) {
    case 'gt':
      return value > filter.instant;
    case 'gte':
      return value >= filter.instant;
    case 'lt':
      return value < filter.instant;
    case 'lte':
      return value <= filter.instant;
    default:
      return value === filter.instant;
  }
}

/** `_is_valid_sorting`: comma-separated `key[:asc|:desc]` of the allowed keys, each at most once. */
function readSort(value: string): Array<{ key: SortKey; direction: Direction }> | undefined {
  const sort: Array<{ key: SortKey; direction: Direction }> = [];
  for (const part of value.split(',')) {
    const pieces = part.split(':');
    if (pieces.length > 2) return undefined;
    const [key = '', direction = 'asc'] = pieces;
    if (!(SORT_KEYS as readonly string[]).includes(key) || (direction !== 'asc' && direction !== 'desc')) {
      return undefined;
    }
    if (sort.some((item) => item.key === key)) return undefined;
    sort.push({ key: key as SortKey, direction });
  }
  return sort;
}

type SortValue = string | number | bigint | null;

function sortValue(entry: V1SecretListEntry, key: SortKey): SortValue {
  switch (key) {
    case 'algorithm':
      return entry.algorithm;
    case 'bit_length':
      return entry.bitLength;
    case 'created':
      return instantOf(entry.createdAt);
    case 'updated':
      return instantOf(entry.updatedAt);
    case 'expiration':
      return entry.expiration === null ? null : instantOf(entry.expiration);
    case 'mode':
      return entry.mode;
    case 'name':
      return entry.name;
    case 'secret_type':
      return entry.secretType;
    default:
      return 'ACTIVE';
  }
}

/** NULL first, as MySQL sorts it ascending; text without regard to case, as its collation does. */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (typeof a === 'string' && typeof b === 'string') {
    const [x, y] = [a.toLowerCase(), b.toLowerCase()];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
