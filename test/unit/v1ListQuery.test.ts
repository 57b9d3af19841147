/**
 * `GET /v1/secrets` queries as Barbican reads them (SecretsController.on_get,
 * SecretRepo.get_secret_list), applied to list index entries.
 */
import tableDefinition from '../../lib/store/table-definition.json';
import { AppError } from '../../lib/errors';
import { applyListQuery, isPlainListing, LikePattern, readListQuery } from '../../lib/barbican/listQuery';
import { parseIsoTime } from '../../lib/barbican/isoTime';
import { INDEX, V1_SECRET_LIST_ATTRIBUTES } from '../../lib/store/keys';
import { v1SecretListEntrySchema, type V1SecretListEntry } from '../../lib/model';

const NOW = parseIsoTime('2026-06-01T00:00:00Z') ?? 0n;

let sequence = 0;
function entry(fields: Partial<V1SecretListEntry> = {}): V1SecretListEntry {
  sequence += 1;
  return {
    id: `01900000-0000-7000-8000-${String(sequence).padStart(12, '0')}`,
    name: null,
    secretType: 'opaque',
    algorithm: null,
    bitLength: null,
    mode: null,
    expiration: null,
    creatorId: 'user',
    contentType: null,
    createdAt: `2026-01-01T00:00:${String(sequence).padStart(2, '0')}.000Z`,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

const names = (query: string, entries: V1SecretListEntry[]) =>
  applyListQuery(entries, readListQuery(new URLSearchParams(query)), NOW).map((item) => item.name);

function refusal(query: string): { status: number; message: string } {
  try {
    readListQuery(new URLSearchParams(query));
  } catch (error) {
    if (error instanceof AppError) return { status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the list index', () => {
  test('projects exactly what a list entry holds, so a list never reads an item', () => {
    // Prepare
    const index = tableDefinition.GlobalSecondaryIndexes.find(
      (candidate) => candidate.IndexName === INDEX.v1SecretsByWorkspace.name,
    );

    // Assess
    expect(index?.Projection).toEqual({
      ProjectionType: 'INCLUDE',
      NonKeyAttributes: [...V1_SECRET_LIST_ATTRIBUTES],
    });
    expect(Object.keys(v1SecretListEntrySchema.shape).sort()).toEqual([...V1_SECRET_LIST_ATTRIBUTES].sort());
  });
});

describe('filters', () => {
  const entries = [
    entry({ name: 'name1', algorithm: 'aes', mode: 'cbc', bitLength: 1024, secretType: 'symmetric' }),
    entry({ name: 'name2', algorithm: 'rsa', mode: 'ctr', bitLength: 2048 }),
    entry({ name: 'Name1 copy', algorithm: 'AES' }),
    entry({ name: 'a+b' }),
    entry({ name: 'gone', expiration: '2026-05-01T00:00:00.000000Z' }),
    entry({ name: 'later', expiration: '2026-07-01T00:00:00.000000Z' }),
  ];

  test.each([
    ['', ['name1', 'name2', 'Name1 copy', 'a+b', 'later']],
    ['name=name1', ['name1']],
    ['name=NAME1', ['name1']],
    ['name=name%25', ['name1', 'name2', 'Name1 copy']],
    ['name=name_', ['name1', 'name2']],
    ['name=a%2Bb', []],
    ['name=a%252Bb', ['a+b']],
    ['name=', ['name1', 'name2', 'Name1 copy', 'a+b', 'later']],
    ['alg=aes', ['name1', 'Name1 copy']],
    ['mode=ctr', ['name2']],
    ['bits=1024', ['name1']],
    ['bits=abc', ['name1', 'name2', 'Name1 copy', 'a+b', 'later']],
    ['bits=-5', ['name1', 'name2', 'Name1 copy', 'a+b', 'later']],
    ['secret_type=symmetric', ['name1']],
    ['expiration=gt:2026-06-01', ['later']],
    ['name=name1&name=name2', ['name2']],
  ])('%j lists %j (expired secrets never)', (query, expected) => {
    expect(names(query, entries)).toEqual(expected);
  });
});

describe('LIKE', () => {
  test.each([
    ['abc', 'ABC', true],
    ['a_c', 'abc', true],
    ['a_c', 'ac', false],
    ['a%', 'a', true],
    ['%b%', 'abc', true],
    ['%%%', '', true],
    ['a\\%', 'a%', true],
    ['a\\%', 'ab', false],
    ['a\\_c', 'abc', false],
    ['%a%b', 'xaxxbxb', true],
    ['%a%b', 'xaxxbx', false],
    ['ä%', 'Äpfel', true],
  ])('%j matches %j: %s', (pattern, value, expected) => {
    expect(new LikePattern(pattern).test(value)).toBe(expected);
  });

  test('a pattern built to make a backtracking matcher explode is answered at once', () => {
    // Prepare
    const pattern = new LikePattern(`${'%a'.repeat(200)}%b`);
    const started = Date.now();

    // Act
    const matched = pattern.test('a'.repeat(255));

    // Assess
    expect(matched).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});

describe('sort', () => {
  const entries = [
    entry({ name: 'b', bitLength: 2 }),
    entry({ name: null, bitLength: 1 }),
    entry({ name: 'A', bitLength: 2 }),
    entry({ name: 'c', bitLength: null }),
  ];

  test.each([
    ['', ['b', null, 'A', 'c']],
    ['sort=name', [null, 'A', 'b', 'c']],
    ['sort=name:desc', ['c', 'b', 'A', null]],
    ['sort=bit_length:desc,name:asc', ['A', 'b', null, 'c']],
    ['sort=status,created:asc', ['b', null, 'A', 'c']],
  ])('%j orders as %j (NULL first ascending, then creation order)', (query, expected) => {
    expect(names(query, entries)).toEqual(expected);
  });

  test.each([
    'sort=bogus',
    'sort=name:up',
    'sort=name,name:desc',
    'sort=name:asc:desc',
    'sort=name,',
    'sort=NAME',
    'created=yesterday',
    'created=2026-01-01,2026-01-02',
    'updated=gt:2026-01-01,gte:2026-01-02',
    'expiration=lte:2026-01-01,2026-01-02',
  ])('%j is a 400', (query) => {
    expect(refusal(query)).toEqual({ status: 400, message: 'URI provided invalid query string parameters.' });
  });

  test('the paging values and the filters to carry into the links are read as given', () => {
    // Act
    const query = readListQuery(
      new URLSearchParams('&limit=500&offset=-1&name=x%2520y&bits=7&alg=&sort=name'),
    );

    // Assess
    expect(query.paging).toEqual({ offset: 0n, limit: 100 });
    expect(query.keep).toEqual([
      ['name', 'x%20y'],
      ['bits', '7'],
      ['sort', 'name'],
    ]);
  });
});

describe('the plain listing, which counted lists serve', () => {
  test.each([
    ['', true],
    ['offset=20&limit=5', true],
    // Barbican ignores these, so they list everything in creation order.
    ['name=', true],
    ['bits=abc', true],
    ['bits=0', true],
    ['name=x', false],
    ['alg=aes', false],
    ['mode=cbc', false],
    ['bits=128', false],
    ['secret_type=opaque', false],
    ['created=gt:2020-01-01', false],
    ['sort=created', false],
  ])('%j: %s', (query, plain) => {
    expect(isPlainListing(readListQuery(new URLSearchParams(query)))).toBe(plain);
  });
});
