import { BadRequestError } from '../errors';
import { isId } from '../ids';

export const DEFAULT_PAGE_LIMIT = 10;
export const MAX_PAGE_LIMIT = 100;
/** Far beyond any real list, small enough to stay an exact integer everywhere. */
const MAX_PAGE_OFFSET = 1_000_000_000;

export const PAGE_PARAMETERS = ['page[offset]', 'page[limit]'] as const;

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

/** Lists that also page by key: `page[after]=<id>` instead of an offset. */
export const KEYSET_PAGE_PARAMETERS = [...PAGE_PARAMETERS, 'page[after]'] as const;

export type KeysetPageRequest = PageRequest | { readonly after: string; readonly limit: number };

/**
 * Checks the query string against the parameters an endpoint supports. JSON:API asks for a 400
 * on a parameter the server does not understand, and a repeated parameter is ambiguous.
 */
export function readQuery(query: URLSearchParams, supported: readonly string[]): ReadonlyMap<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of query) {
    if (!supported.includes(name)) {
      throw new BadRequestError(`The query parameter ${name} is not supported here.`, {
        source: { parameter: name },
      });
    }
    if (values.has(name)) {
      throw new BadRequestError(`The query parameter ${name} may be given once.`, {
        source: { parameter: name },
      });
    }
    values.set(name, value);
  }
  return values;
}

export function readPage(values: ReadonlyMap<string, string>): PageRequest {
  return {
    offset: readInteger(values, 'page[offset]', 0, 0, MAX_PAGE_OFFSET),
    limit: readInteger(values, 'page[limit]', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT),
  };
}

/** `page[after]` (the id of the last item seen) or `page[offset]`, never both; and `page[limit]`. */
export function readKeysetPage(values: ReadonlyMap<string, string>): KeysetPageRequest {
  const after = values.get('page[after]');
  if (after === undefined) return readPage(values);
  if (values.has('page[offset]')) {
    throw new BadRequestError('page[after] and page[offset] cannot be combined.', {
      source: { parameter: 'page[after]' },
    });
  }
  if (!isId(after)) {
    throw new BadRequestError('page[after] must be the id of an item of this list.', {
      source: { parameter: 'page[after]' },
    });
  }
  return { after, limit: readInteger(values, 'page[limit]', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT) };
}

function readInteger(
  values: ReadonlyMap<string, string>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = values.get(name);
  if (raw === undefined) return fallback;
  const value = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(`${name} must be an integer from ${min} to ${max}.`, {
      source: { parameter: name },
    });
  }
  return value;
}

/** A filter value: absent, or a non-empty string of reasonable length. */
export function readFilter(values: ReadonlyMap<string, string>, name: string): string | undefined {
  const raw = values.get(name);
  if (raw === undefined) return undefined;
  if (raw.length === 0 || raw.length > 100) {
    throw new BadRequestError(`${name} must be an id.`, { source: { parameter: name } });
  }
  return raw;
}

/** A parameter with a fixed set of values (filter[state]): absent, or one of `choices`, else a 400. */
export function readChoice<T extends string>(
  values: ReadonlyMap<string, string>,
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = values.get(name);
  if (raw === undefined) return undefined;
  const choice = choices.find((candidate) => candidate === raw);
  if (choice === undefined) {
    throw new BadRequestError(`${name} must be one of ${choices.join(', ')}.`, {
      source: { parameter: name },
    });
  }
  return choice;
}

/** A flag parameter: absent or `false` is false, `true` is true, anything else a 400. */
export function readBoolean(values: ReadonlyMap<string, string>, name: string): boolean {
  const raw = values.get(name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new BadRequestError(`${name} must be true or false.`, { source: { parameter: name } });
}

/**
 * A page of a feed read only by key (events, deliveries): `cursorName` (an item's id) and
 * `page[limit]`.
 */
export function readCursorPage(
  values: ReadonlyMap<string, string>,
  cursorName: string,
): { cursor: string | undefined; limit: number } {
  const cursor = values.get(cursorName);
  if (cursor !== undefined && !isId(cursor)) {
    throw new BadRequestError(`${cursorName} must be the id of an item of this list.`, {
      source: { parameter: cursorName },
    });
  }
  return { cursor, limit: readInteger(values, 'page[limit]', DEFAULT_PAGE_LIMIT, 1, MAX_PAGE_LIMIT) };
}

/** A comma-separated list of values from a fixed set (filter[type]): absent, or each one of `choices`. */
export function readChoices<T extends string>(
  values: ReadonlyMap<string, string>,
  name: string,
  choices: readonly T[],
): T[] | undefined {
  const raw = values.get(name);
  if (raw === undefined) return undefined;
  const chosen = raw.split(',').map((value) => choices.find((candidate) => candidate === value));
  if (chosen.length === 0 || chosen.some((choice) => choice === undefined)) {
    throw new BadRequestError(`${name} must be a comma-separated list of ${choices.join(', ')}.`, {
      source: { parameter: name },
    });
  }
  return [...new Set(chosen as T[])];
}
