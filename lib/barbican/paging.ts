import { pyInt } from './python';

/** Barbican's `default_limit_paging` and `max_limit_paging`. */
export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
/** Python's `sys.maxsize`: a larger offset counts as 0. */
const MAX_OFFSET = 2n ** 63n - 1n;

export interface Paging {
  /** Where the page starts; bigint because Barbican takes any offset up to 2**63 - 1. */
  readonly offset: bigint;
  readonly limit: number;
}

/**
 * `clean_paging_values` (barbican/model/repositories.py): odd values fall back instead of failing.
 * An absent or empty offset is 0, a non-integer one 0, a negative one 0, one past `sys.maxsize` 0;
 * an absent or empty limit is 10, a non-integer one 10, and an integer one is clamped to 1..100.
 * "Integer" is what Python's `int()` reads: `" 7 "`, `"+7"` and `"1_0"` are integers, `"7.0"` is not.
 */
export function cleanPaging(offsetArgument: string | undefined, limitArgument: string | undefined): Paging {
  const offsetValue = offsetArgument ? pyInt(offsetArgument) : 0n;
  const offset = offsetValue === undefined || offsetValue < 0n || offsetValue > MAX_OFFSET ? 0n : offsetValue;
  const limitValue = limitArgument ? pyInt(limitArgument) : BigInt(DEFAULT_LIMIT);
  const limit =
    limitValue === undefined
      ? DEFAULT_LIMIT
      : limitValue < 1n
        ? 1
        : limitValue > BigInt(MAX_LIMIT)
          ? MAX_LIMIT
          : Number(limitValue);
  return { offset, limit };
}

/**
 * `add_nav_hrefs` (barbican/common/hrefs.py): `previous` when the page does not start at 0,
 * `next` when secrets follow it, each `<list URL>?limit=L&offset=O` with the cleaned values.
 * `keep` is appended to both (the list's filters), so that following them keeps the filter.
 */
export function navigationLinks(
  listUrl: string,
  paging: Paging,
  total: number,
  keep: ReadonlyArray<readonly [string, string]> = [],
): { previous?: string; next?: string } {
  const { offset, limit } = paging;
  const href = (pageOffset: bigint) =>
    `${listUrl}?limit=${String(limit)}&offset=${pageOffset.toString()}` +
    keep.map(([name, value]) => `&${encodeURIComponent(name)}=${encodeURIComponent(value)}`).join('');
  const step = BigInt(limit);
  return {
    ...(offset > 0n ? { previous: href(offset - step > 0n ? offset - step : 0n) } : {}),
    ...(BigInt(total) > offset + step ? { next: href(offset + step) } : {}),
  };
}
