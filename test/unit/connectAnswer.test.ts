import type { ConnectFailure } from '../../lib/connect/callback';
import { connectAnswer } from '../../lib/http/connectAnswer';
import type { ConnectSession } from '../../lib/model';

const session: ConnectSession = {
  id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
  stateHash: 'a'.repeat(64),
  tenantId: 't',
  workspaceId: 'w',
  userId: 'u',
  authClientId: 'c',
  secretId: null,
  name: null,
  returnUrl: 'https://app.example.com/done?tab=2',
  redirectUri: 'https://api.example.com/v2/oauth/callback',
  sealedCodeVerifier: null,
  createdAt: '2026-11-29T00:00:00.000Z',
  expiresAt: '2026-11-29T00:30:00.000Z',
};

const failure = (overrides: Partial<ConnectFailure>): ConnectFailure => ({
  kind: 'failed',
  session,
  returnTo: null,
  error: 'access_denied',
  description: 'The user said no.',
  source: 'request',
  ...overrides,
});

describe('connectAnswer', () => {
  test('a provider’s description cannot write HTML into the page', () => {
    // Act
    const answer = connectAnswer(
      failure({ description: '<script>alert("x")</script> & <b>', error: '"><img>' }),
    );

    // Assess
    expect(answer.statusCode).toBe(400);
    expect(answer.body).not.toMatch(/<script|<b>|<img/);
    expect(answer.body).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#60;b&#62;');
    expect(answer.headers?.['Content-Security-Policy']).toContain("default-src 'none'");
  });

  test('the redirect keeps the return URL’s own query and encodes what it adds', () => {
    // Act
    const answer = connectAnswer(
      failure({
        returnTo: session.returnUrl,
        description: 'a&b=c\r\nSet-Cookie: x=y #frag',
      }),
    );

    // Assess
    expect(answer.statusCode).toBe(303);
    const location = String(answer.headers?.Location);
    expect(location).not.toMatch(/[\r\n]/);
    const url = new URL(location);
    expect(`${url.origin}${url.pathname}`).toBe('https://app.example.com/done');
    expect(url.searchParams.get('tab')).toBe('2');
    expect(url.searchParams.get('error_description')).toBe('a&b=c\r\nSet-Cookie: x=y #frag');
    expect(url.searchParams.get('connect_session_id')).toBe(session.id);
    expect(answer.headers?.['Referrer-Policy']).toBe('no-referrer');
  });

  test('the outcome’s parameters are the service’s alone: a return URL’s own copies are dropped', () => {
    // Prepare: a return URL that already names an error and a secret (the platform wrote them)
    const returnTo = 'https://app.example.com/done?tab=2&error=old&error_description=old&auth_secret_id=zzz';

    // Act
    const connected = connectAnswer({ kind: 'connected', session, returnTo, secretId: 'the-secret' });
    const refused = connectAnswer(failure({ returnTo }));

    // Assess
    const params = (answer: ReturnType<typeof connectAnswer>) => [
      ...new URL(String(answer.headers?.Location)).searchParams.entries(),
    ];
    expect(params(connected)).toEqual([
      ['tab', '2'],
      ['auth_secret_id', 'the-secret'],
      ['connect_session_id', session.id],
    ]);
    expect(params(refused)).toEqual([
      ['tab', '2'],
      ['error', 'access_denied'],
      ['error_description', 'The user said no.'],
      ['connect_session_id', session.id],
    ]);
  });

  test.each([
    ['provider', 502],
    ['service', 500],
  ] as const)('a failure of the %s answers %s on the page', (source, status) => {
    // Act
    const answer = connectAnswer(failure({ source, error: 'temporarily_unavailable' }));

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.body).toContain('temporarily_unavailable');
  });
});
