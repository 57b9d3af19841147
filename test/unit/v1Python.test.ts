/**
 * The pieces of Python the v1 API reproduces, against answers recorded from the Python that
 * Barbican runs on (CPython 3.11, oslo.utils' parse_isotime over iso8601, base64.b64decode).
 */
import { Base64Error, pyB64Decode } from '../../lib/barbican/base64';
import { formatStoredTime, instantOf, parseIsoTime, pythonIsoFormat } from '../../lib/barbican/isoTime';
import { cleanPaging, navigationLinks } from '../../lib/barbican/paging';
import { pyInt, pyRepr, pyStrip, unquotePlus } from '../../lib/barbican/python';

describe('clean_paging_values', () => {
  test.each([
    [undefined, undefined, 0n, 10],
    ['', '', 0n, 10],
    ['5', '2', 5n, 2],
    ['-3', '-7', 0n, 1],
    ['abc', 'xyz', 0n, 10],
    ['7.0', '2.5', 0n, 10],
    [' 3 ', '\t4\n', 3n, 4],
    ['+2', '+3', 2n, 3],
    ['1_0', '2_0', 10n, 20],
    ['_1', '1__0', 0n, 10],
    ['0', '0', 0n, 1],
    ['0', '101', 0n, 100],
    ['9223372036854775807', '1', 9223372036854775807n, 1],
    ['9223372036854775808', '1', 0n, 1],
    ['99999999999999999999999', '100', 0n, 100],
    ['0x10', '0b1', 0n, 10],
    ['\u00a05\u00a0', '1', 5n, 1],
    ['5\u200b', '1', 0n, 1],
  ])('offset %j, limit %j → offset %s, limit %s', (offset, limit, expectedOffset, expectedLimit) => {
    // Act
    const paging = cleanPaging(offset, limit);

    // Assess
    expect(paging).toEqual({ offset: expectedOffset, limit: expectedLimit });
  });
});

describe('add_nav_hrefs', () => {
  const url = 'https://keys.example/v1/secrets';

  test('previous only when the page does not start at 0, next only when secrets follow', () => {
    // Act
    const first = navigationLinks(url, { offset: 0n, limit: 2 }, 5);
    const middle = navigationLinks(url, { offset: 2n, limit: 2 }, 5);
    const last = navigationLinks(url, { offset: 4n, limit: 2 }, 5);
    const exact = navigationLinks(url, { offset: 0n, limit: 5 }, 5);

    // Assess
    expect(first).toEqual({ next: `${url}?limit=2&offset=2` });
    expect(middle).toEqual({ previous: `${url}?limit=2&offset=0`, next: `${url}?limit=2&offset=4` });
    expect(last).toEqual({ previous: `${url}?limit=2&offset=2` });
    expect(exact).toEqual({});
  });

  test('previous never goes below 0, and the filters follow the paging parameters', () => {
    // Act
    const links = navigationLinks(url, { offset: 1n, limit: 10 }, 30, [['name', 'a b&c']]);

    // Assess
    expect(links).toEqual({
      previous: `${url}?limit=10&offset=0&name=a%20b%26c`,
      next: `${url}?limit=10&offset=11&name=a%20b%26c`,
    });
  });
});

describe('parse_isotime, normalised to UTC and shown with isoformat()', () => {
  test.each([
    ['2030-02-28T19:14:44.180394', '2030-02-28T19:14:44.180394'],
    ['2030-02-28 19:14:44', '2030-02-28T19:14:44'],
    ['2030-02-28', '2030-02-28T00:00:00'],
    ['2030', '2030-01-01T00:00:00'],
    ['2030-02', '2030-02-01T00:00:00'],
    ['20300228', '2030-02-28T00:00:00'],
    ['20300228T191444Z', '2030-02-28T19:14:44'],
    ['2030-02-28T19:14:44Z', '2030-02-28T19:14:44'],
    ['2030-02-28T19:14:44+05:00', '2030-02-28T14:14:44'],
    ['2030-02-28T19:14:44-05:00', '2030-03-01T00:14:44'],
    ['2030-02-28T19:14:44+01', '2030-02-28T18:14:44'],
    ['2030-1-5', '2030-01-05T00:00:00'],
    ['2030-02-28T19:14:44.1234567', '2030-02-28T19:14:44.123456'],
    ['2030-02-28T19:14:44,5', '2030-02-28T19:14:44.500000'],
    ['2030-02-28T19', '2030-02-28T19:00:00'],
    ['2030-02-28T1914', '2030-02-28T19:14:00'],
    ['2030-02-28T19:14:4', '2030-02-28T19:14:04'],
    ['2030-02-28T19:14:44+2359', '2030-02-27T19:15:44'],
  ])('%j is %s', (text, expected) => {
    // Act
    const instant = parseIsoTime(text);

    // Assess
    expect(instant === undefined ? undefined : pythonIsoFormat(instant)).toBe(expected);
  });

  test.each([
    '203002',
    '2030-02-28T19:14:44-5:00',
    '2030-02-30T00:00:00',
    '2030-13-01',
    '2030-02-28T24:00:00',
    '2030-02-28T19:60',
    '2030-02-28t19:14:44',
    '2030-02-28T19:14:44z',
    '0000-01-01',
    '9999-12-31T23:59:59-01:00',
    '0001-01-01T00:00:00+01:00',
    '2030-02-28T19:14:44+2400',
    ' 2030-01-01',
    '2030-01-01 ',
    '',
  ])('%j is not a time', (text) => {
    // Act
    const instant = parseIsoTime(text);

    // Assess
    expect(instant).toBeUndefined();
  });

  test('stored times are fixed width, so that they compare as strings as they do as instants', () => {
    // Prepare
    const early = parseIsoTime('0999-01-01T00:00:00') ?? 0n;
    const late = parseIsoTime('2030-02-28T19:14:44.000001') ?? 0n;

    // Act
    const stored = [formatStoredTime(early), formatStoredTime(late)];

    // Assess
    const [first = '', second = ''] = stored;
    expect(stored).toEqual(['0999-01-01T00:00:00.000000Z', '2030-02-28T19:14:44.000001Z']);
    expect(first < second).toBe(true);
    expect(instantOf(second)).toBe(late);
    expect(pythonIsoFormat(instantOf('2026-11-23T16:22:33.931Z'))).toBe('2026-11-23T16:22:33.931000');
  });
});

describe('base64.b64decode', () => {
  // Recorded from CPython 3.11: hex of the bytes, or the error's message.
  test.each([
    ['', ''],
    ['abcd', '69b71d'],
    ['abc', 'Incorrect padding'],
    ['abc=', '69b7'],
    ['ab', 'Incorrect padding'],
    ['ab==', '69'],
    ['ab=', 'Incorrect padding'],
    [
      'a',
      'Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4',
    ],
    [
      'a===',
      'Invalid base64-encoded string: number of data characters (1) cannot be 1 more than a multiple of 4',
    ],
    ['abcd=', '69b71d'],
    ['ab=c', 'Incorrect padding'],
    ['ab=c=', '69b7'],
    ['!!!!', ''],
    ['a!b!c!d', '69b71d'],
    [
      'abcde',
      'Invalid base64-encoded string: number of data characters (5) cannot be 1 more than a multiple of 4',
    ],
    ['abcdef==', '69b71d79'],
    ['ab==cd', '69'],
    ['abc=d', '69b7'],
    ['=abc', 'Incorrect padding'],
    ['a=bcd', '69b71d'],
    ['ab\n==', '69'],
    ["b'\\xb0'", '6f16f4'],
    ['\u0080', 'string argument should contain only ASCII characters'],
  ])('%j', (text, expected) => {
    // Act
    let result: string;
    try {
      result = pyB64Decode(text).toString('hex');
    } catch (error) {
      result = error instanceof Base64Error ? error.message : 'unexpected';
    }

    // Assess
    expect(result).toBe(expected);
  });
});

describe('str.strip, int, unquote_plus, repr', () => {
  test('strip removes what Python counts as whitespace, and only that', () => {
    expect(pyStrip('\x1c\x85 a b\u3000\t')).toBe('a b');
    expect(pyStrip('\u200ba\ufeff')).toBe('\u200ba\ufeff');
  });

  test('int reads signs, underscores between digits and surrounding whitespace', () => {
    expect([pyInt(' -12 '), pyInt('1_000'), pyInt('1_'), pyInt('1.0'), pyInt('')]).toEqual([
      -12n,
      1000n,
      undefined,
      undefined,
      undefined,
    ]);
  });

  test.each([
    ['a+b', 'a b'],
    ['a%20b', 'a b'],
    ['a%2Bb', 'a+b'],
    ['%E2%82%AC', '\u20ac'],
    ['%zz', '%zz'],
    ['%E2%82', '\ufffd'],
    ['100%', '100%'],
    ['%41%42', 'AB'],
  ])('unquote_plus(%j) is %j', (text, expected) => {
    expect(unquotePlus(text)).toBe(expected);
  });

  test('repr quotes as Python does', () => {
    expect([pyRepr('x'), pyRepr("it's"), pyRepr(3), pyRepr(null), pyRepr(true), pyRepr(['a', 1])]).toEqual([
      "'x'",
      '"it\'s"',
      '3',
      'None',
      'True',
      "['a', 1]",
    ]);
  });
});
