import { BadRequestError } from '../../lib/errors';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  readChoice,
  readFilter,
  readPage,
  readQuery,
} from '../../lib/http/query';
import { thrown } from '../support/thrown';

const SUPPORTED = ['filter[user]', 'filter[auth_client]', 'page[offset]', 'page[limit]'];

const page = (query: string) => readPage(readQuery(new URLSearchParams(query), SUPPORTED));

describe('readQuery', () => {
  test('returns the supported parameters by name, decoded', () => {
    // Prepare
    const query = new URLSearchParams('filter%5Buser%5D=u%201&page[limit]=5');

    // Act
    const values = readQuery(query, SUPPORTED);

    // Assess
    expect([...values]).toEqual([
      ['filter[user]', 'u 1'],
      ['page[limit]', '5'],
    ]);
  });

  test.each([
    ['sort=name', 'sort'],
    ['page[size]=5', 'page[size]'],
    ['filter[name]=x', 'filter[name]'],
    ['include=user', 'include'],
  ])('an unsupported parameter (%s) is a 400 naming it', (query, parameter) => {
    // Act
    const error = thrown(() => readQuery(new URLSearchParams(query), SUPPORTED));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, source: { parameter } });
  });

  test('a repeated parameter is a 400 naming it', () => {
    // Act
    const error = thrown(() => readQuery(new URLSearchParams('page[limit]=5&page[limit]=6'), SUPPORTED));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ source: { parameter: 'page[limit]' } });
  });
});

describe('readPage', () => {
  test('defaults to offset 0 and the default limit', () => {
    // Act
    const result = page('');

    // Assess
    expect(result).toEqual({ offset: 0, limit: DEFAULT_PAGE_LIMIT });
    expect(DEFAULT_PAGE_LIMIT).toBe(10);
  });

  test.each([
    ['page[offset]=0&page[limit]=1', { offset: 0, limit: 1 }],
    ['page[offset]=25&page[limit]=100', { offset: 25, limit: MAX_PAGE_LIMIT }],
    ['page[offset]=1000000000', { offset: 1_000_000_000, limit: 10 }],
    ['page[limit]=07', { offset: 0, limit: 7 }],
  ])('%s is read as %p', (query, expected) => {
    // Act
    const result = page(query);

    // Assess
    expect(result).toEqual(expected);
  });

  test.each([
    ['page[limit]=0', 'page[limit]'],
    ['page[limit]=101', 'page[limit]'],
    ['page[limit]=', 'page[limit]'],
    ['page[limit]=ten', 'page[limit]'],
    ['page[limit]=1.5', 'page[limit]'],
    ['page[limit]=%2B5', 'page[limit]'],
    ['page[limit]=1e1', 'page[limit]'],
    ['page[offset]=-1', 'page[offset]'],
    ['page[offset]=1000000001', 'page[offset]'],
    ['page[offset]=99999999999999999999', 'page[offset]'],
    ['page[offset]=%205', 'page[offset]'],
  ])('%s is a 400 naming the parameter', (query, parameter) => {
    // Act
    const error = thrown(() => page(query));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, source: { parameter } });
  });
});

describe('readFilter', () => {
  test('an absent filter is undefined and a present one is its value', () => {
    // Prepare
    const values = new Map([['filter[user]', 'u1']]);

    // Act
    const results = [readFilter(values, 'filter[user]'), readFilter(values, 'filter[auth_client]')];

    // Assess
    expect(results).toEqual(['u1', undefined]);
  });

  test.each([
    ['', 'empty'],
    ['x'.repeat(101), 'too long'],
  ])('a filter value %p (%s) is a 400 naming the filter', (value) => {
    // Act
    const error = thrown(() => readFilter(new Map([['filter[user]', value]]), 'filter[user]'));

    // Assess
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ source: { parameter: 'filter[user]' } });
  });
});

describe('readChoice', () => {
  const STATES = ['ready', 'error'] as const;

  test('an absent parameter is undefined and a listed value is itself', () => {
    // Prepare
    const values = new Map([['filter[state]', 'error']]);

    // Act
    const results = [
      readChoice(values, 'filter[state]', STATES),
      readChoice(new Map(), 'filter[state]', STATES),
    ];

    // Assess
    expect(results).toEqual(['error', undefined]);
  });

  test.each(['', 'Ready', 'ready,error', 'broken'])(
    'a value %p that is not listed is a 400 naming the parameter and the choices',
    (value) => {
      // Act
      const error = thrown(() => readChoice(new Map([['filter[state]', value]]), 'filter[state]', STATES));

      // Assess
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ source: { parameter: 'filter[state]' } });
      expect((error as Error).message).toBe('filter[state] must be one of ready, error.');
    },
  );
});
