import { pageLinks, paths } from '../../lib/http/links';

const BASE = '/v2/workspaces/w1/secrets';

/** The page[offset] of each link, which is what the paging rules are about. */
function offsets(links: Record<string, string | undefined>) {
  return Object.fromEntries(
    Object.entries(links).map(([name, href]) => [
      name,
      Number(new URL(href ?? '', 'http://x').searchParams.get('page[offset]')),
    ]),
  );
}

describe('pageLinks', () => {
  test.each([
    // offset, limit, total: expected offsets (prev/next absent where not listed)
    [0, 10, 0, { self: 0, first: 0, last: 0 }],
    [0, 10, 5, { self: 0, first: 0, last: 0 }],
    [0, 10, 10, { self: 0, first: 0, last: 0 }],
    [0, 10, 11, { self: 0, first: 0, last: 10, next: 10 }],
    [0, 10, 25, { self: 0, first: 0, last: 20, next: 10 }],
    [10, 10, 25, { self: 10, first: 0, last: 20, prev: 0, next: 20 }],
    [20, 10, 25, { self: 20, first: 0, last: 20, prev: 10 }],
    [10, 10, 20, { self: 10, first: 0, last: 10, prev: 0 }],
    [0, 1, 3, { self: 0, first: 0, last: 2, next: 1 }],
    [2, 1, 3, { self: 2, first: 0, last: 2, prev: 1 }],
    [0, 100, 250, { self: 0, first: 0, last: 200, next: 100 }],
  ])('offset %i, limit %i, total %i', (offset, limit, total, expected) => {
    // Act
    const links = pageLinks(BASE, [], { offset, limit, total });

    // Assess
    expect(offsets({ ...links })).toEqual(expected);
  });

  test('an unaligned offset keeps its alignment: prev stops at 0 and last is reached by following next', () => {
    // Act
    const links = pageLinks(BASE, [], { offset: 5, limit: 10, total: 25 });

    // Assess
    expect(offsets({ ...links })).toEqual({ self: 5, first: 0, last: 15, prev: 0, next: 15 });
  });

  test('an offset past the end has no next, and prev and last lead back to the items', () => {
    // Act
    const links = pageLinks(BASE, [], { offset: 30, limit: 10, total: 25 });

    // Assess
    const result = offsets({ ...links });
    expect(links.next).toBeUndefined();
    expect(result.last).toBe(20);
    expect(result.prev).toBeLessThan(30);
  });

  test('an offset past the end of an empty list has last and first at 0', () => {
    // Act
    const links = pageLinks(BASE, [], { offset: 50, limit: 10, total: 0 });

    // Assess
    expect(offsets({ ...links })).toMatchObject({ self: 50, first: 0, last: 0 });
    expect(links.next).toBeUndefined();
  });

  test('every link carries the limit and the kept filters, with values encoded', () => {
    // Prepare
    const kept = [
      ['filter[user]', 'u1'],
      ['filter[auth_client]', 'a b&c=d'],
    ] as const;

    // Act
    const links = pageLinks(BASE, kept, { offset: 10, limit: 5, total: 30 });

    // Assess
    expect(links.self).toBe(
      `${BASE}?filter[user]=u1&filter[auth_client]=a%20b%26c%3Dd&page[offset]=10&page[limit]=5`,
    );
    for (const href of Object.values(links)) {
      const url = new URL(href, 'http://x');
      expect(url.pathname).toBe(BASE);
      expect(url.searchParams.get('filter[user]')).toBe('u1');
      expect(url.searchParams.get('filter[auth_client]')).toBe('a b&c=d');
      expect(url.searchParams.get('page[limit]')).toBe('5');
    }
  });
});

describe('paths', () => {
  test('links point at the routes the service serves, without the document typos', () => {
    // Act
    const built = [
      paths.workspace('w1'),
      paths.secrets('w1'),
      paths.secret('w1', 's1'),
      paths.user('u1'),
      paths.authClient('t1', 'a1'),
    ];

    // Assess
    expect(built).toEqual([
      '/v2/workspaces/w1',
      '/v2/workspaces/w1/secrets',
      '/v2/workspaces/w1/secrets/s1',
      '/v2/users/u1',
      '/v2/tenants/t1/auth-clients/a1',
    ]);
  });
});
