import { createHash } from 'node:crypto';
import { issueApiKey, parseApiKey, secretMatches } from '../../lib/auth/apiKeys';
import { readPresentedCredentials } from '../../lib/auth/credentials';
import { newId } from '../../lib/ids';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('API keys', () => {
  test('an issued key names its user and key id, and only the hash of its secret is stored', () => {
    // Prepare
    const userId = newId();

    // Act
    const { apiKey, record } = issueApiKey(userId, 'ann@example.com', NOW);

    // Assess
    const parsed = parseApiKey(apiKey);
    expect(apiKey).toMatch(/^asec\.[0-9a-f-]{36}\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(parsed).toEqual({ userId, keyId: record.keyId, secret: expect.any(String) });
    expect(record).toEqual({
      userId,
      keyId: parsed?.keyId,
      secretHash: createHash('sha256')
        .update(parsed?.secret ?? '')
        .digest('hex'),
      email: 'ann@example.com',
      createdAt: NOW.toISOString(),
    });
    expect(JSON.stringify(record)).not.toContain(parsed?.secret);
  });

  test('two keys for the same user differ in key id and secret', () => {
    // Prepare
    const userId = newId();

    // Act
    const [a, b] = [issueApiKey(userId, 'a@example.com', NOW), issueApiKey(userId, 'a@example.com', NOW)];

    // Assess
    expect(a.record.keyId).not.toBe(b.record.keyId);
    expect(parseApiKey(a.apiKey)?.secret).not.toBe(parseApiKey(b.apiKey)?.secret);
  });

  test('the presented secret matches its own record only', () => {
    // Prepare
    const userId = newId();
    const first = issueApiKey(userId, 'a@example.com', NOW);
    const second = issueApiKey(userId, 'a@example.com', NOW);
    const secret = parseApiKey(first.apiKey)?.secret ?? '';

    // Act
    const results = {
      own: secretMatches(secret, first.record),
      other: secretMatches(secret, second.record),
      altered: secretMatches(`${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`, first.record),
      empty: secretMatches('', first.record),
      truncatedHash: secretMatches(secret, { ...first.record, secretHash: first.record.secretHash.slice(2) }),
    };

    // Assess
    expect(results).toEqual({ own: true, other: false, altered: false, empty: false, truncatedHash: false });
  });

  test.each([
    '',
    'asec',
    'not-a-key',
    'ASEC.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'asec.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789ABCDEF.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'asec.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    'asec.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x',
    'asec.0190a1b2.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ' asec.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789abcdef.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  ])('%p is not an API key', (candidate) => {
    // Act
    const parsed = parseApiKey(candidate);

    // Assess
    expect(parsed).toBeUndefined();
  });
});

describe('readPresentedCredentials', () => {
  const KEY = 'asec.0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.0123456789abcdef.abc';

  test.each([
    ['X-Auth-Token', { 'x-auth-token': KEY }, { apiKey: KEY }],
    ['X-Auth-Token with spaces around it', { 'x-auth-token': `  ${KEY} ` }, { apiKey: KEY }],
    ['Basic', { authorization: basic(`ann@example.com:${KEY}`) }, { email: 'ann@example.com', apiKey: KEY }],
    [
      'basic in lower case',
      { authorization: basic(`ann@example.com:${KEY}`).replace('Basic', 'basic') },
      { email: 'ann@example.com', apiKey: KEY },
    ],
    [
      'Basic whose key holds a colon (split at the first)',
      { authorization: basic('ann@example.com:a:b') },
      { email: 'ann@example.com', apiKey: 'a:b' },
    ],
    [
      'both, naming the same key: the e-mail is kept, to be checked against the owner',
      { 'x-auth-token': KEY, authorization: basic(`ann@example.com:${KEY}`) },
      { email: 'ann@example.com', apiKey: KEY },
    ],
    ['a token beside an empty Authorization', { 'x-auth-token': KEY, authorization: '  ' }, { apiKey: KEY }],
    [
      'a blank token falls back to Basic',
      { 'x-auth-token': '  ', authorization: basic(`ann@example.com:${KEY}`) },
      { email: 'ann@example.com', apiKey: KEY },
    ],
  ])('%s', (_name, headers, expected) => {
    // Act
    const presented = readPresentedCredentials(headers);

    // Assess
    expect(presented).toEqual(expected);
  });

  test.each([
    ['no headers', {}],
    ['an empty Authorization', { authorization: '' }],
    ['a Bearer token', { authorization: `Bearer ${KEY}` }],
    ['Basic without a colon', { authorization: basic('ann@example.com') }],
    ['Basic with an empty user', { authorization: basic(`:${KEY}`) }],
    ['Basic that is not base64', { authorization: 'Basic ***' }],
    ['Basic without credentials', { authorization: 'Basic' }],
    [
      'a token and Basic with another key',
      { 'x-auth-token': KEY, authorization: basic('ann@example.com:other') },
    ],
    [
      'a token and Basic with a longer key',
      { 'x-auth-token': KEY, authorization: basic(`ann@example.com:${KEY}x`) },
    ],
    ['a token and a Basic that cannot be read', { 'x-auth-token': KEY, authorization: basic(KEY) }],
    ['a token and a Bearer token', { 'x-auth-token': KEY, authorization: `Bearer ${KEY}` }],
  ])('%s presents nothing', (_name, headers: Record<string, string>) => {
    // Act
    const presented = readPresentedCredentials(headers);

    // Assess
    expect(presented).toBeUndefined();
  });
});
