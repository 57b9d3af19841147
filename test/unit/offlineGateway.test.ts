import {
  corsHeaders,
  corsRules,
  emulatorError,
  failedInvocation,
  joinRepeatedHeaders,
  parseTimeouts,
  unparsableRequestAnswer,
  type CorsRules,
} from '../../scripts/offlineGateway';
import { thrown } from '../support/thrown';

/** serverless-offline's body for a failed invocation, as its HttpServer.js writes it. */
const offlineFailure = (errorType: string, errorMessage: string) =>
  JSON.stringify({
    errorMessage,
    errorType,
    stackTrace: [
      `${errorType}: ${errorMessage}`,
      '    at file:///work/main/node_modules/serverless-offline/src/x.js:1:1',
    ],
  });

const RULES: CorsRules = {
  allowedOrigins: ['http://app.example', 'https://admin.example:8443'],
  allowedHeaders: ['Authorization', 'Content-Type'],
  allowedMethods: ['GET', 'POST'],
  exposedResponseHeaders: ['Location', 'ETag'],
  maxAge: 600,
};

describe('failedInvocation', () => {
  test('a timeout is a 504 JSON:API document that names nothing of the function', () => {
    // Act
    const answer = failedInvocation(offlineFailure('LambdaTimeoutError', '[504] - Lambda timeout.'));

    // Assess
    expect(answer?.status).toBe(504);
    expect(JSON.parse(answer?.body ?? '')).toEqual({
      errors: [{ status: '504', code: 'timeout', title: expect.any(String), detail: expect.any(String) }],
    });
    expect(answer?.body).not.toMatch(/Lambda|stack|node_modules|file:|\/work\//i);
  });

  test('any other failure (a handler that throws) is a 500 with nothing of the error', () => {
    // Act
    const answer = failedInvocation(offlineFailure('TypeError', 'secret-ish detail at /work/main/lib/x.ts'));

    // Assess
    expect(answer?.status).toBe(500);
    expect(JSON.parse(answer?.body ?? '').errors[0]).toEqual(
      expect.objectContaining({ status: '500', code: 'internal_error' }),
    );
    expect(answer?.body).not.toMatch(/TypeError|secret-ish|\/work\//);
  });

  test.each([
    ['a JSON:API document', JSON.stringify({ data: { id: '1', type: 'auth-secret' } })],
    ['a JSON:API error', JSON.stringify({ errors: [{ status: '404' }] })],
    [
      'an object with more than the three members',
      JSON.stringify({ errorType: 'x', errorMessage: 'y', stackTrace: [], data: 1 }),
    ],
    ['not JSON', 'plain text'],
    ['an empty body', ''],
    ['a JSON array', '[]'],
    ['no body', undefined],
  ])('leaves %s alone', (_name, body) => {
    // Act
    const answer = failedInvocation(body);

    // Assess
    expect(answer).toBeUndefined();
  });
});

describe('emulatorError', () => {
  test.each([
    [404, 'Not Found', '404', 'not_found'],
    [413, 'Request Entity Too Large', '413', 'bad_request'],
    [500, 'Internal Server Error', '500', 'internal_error'],
  ])('%s is a JSON:API document with that status', (status, title, expectedStatus, code) => {
    // Act
    const answer = emulatorError(status, title);

    // Assess
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body ?? '').errors[0]).toEqual(
      expect.objectContaining({ status: expectedStatus, code }),
    );
  });
});

describe('corsHeaders', () => {
  test.each([
    ['CORS off', undefined, 'http://app.example', false],
    ['CORS off, preflight', undefined, 'http://app.example', true],
    ['no Origin', RULES, undefined, false],
    ['an origin not listed', RULES, 'http://evil.example', false],
    ['an origin not listed, preflight', RULES, 'http://evil.example', true],
    ['a listed host on another scheme', RULES, 'https://app.example', false],
    ['a listed host on another port', RULES, 'https://admin.example', true],
  ])('%s: no CORS header at all', (_name, rules, origin, preflight) => {
    // Act
    const headers = corsHeaders(rules, origin, preflight);

    // Assess
    expect(headers).toEqual({});
  });

  test('a listed origin: that origin (never *), no credentials, the exposed headers', () => {
    // Act
    const headers = corsHeaders(RULES, 'https://admin.example:8443', false);

    // Assess
    expect(headers).toEqual({
      'access-control-allow-origin': 'https://admin.example:8443',
      'access-control-expose-headers': 'Location,ETag',
    });
  });

  test("a listed origin's preflight: the methods, the headers and the max age", () => {
    // Act
    const headers = corsHeaders(RULES, 'http://app.example', true);

    // Assess
    expect(headers).toEqual({
      'access-control-allow-origin': 'http://app.example',
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'Authorization,Content-Type',
      'access-control-max-age': '600',
    });
  });

  test('credentials only when the rules allow them', () => {
    // Act
    const headers = corsHeaders({ ...RULES, allowCredentials: true }, 'http://app.example', false);

    // Assess
    expect(headers['access-control-allow-credentials']).toBe('true');
  });
});

describe('corsRules', () => {
  test.each([undefined, null, false])('%p turns CORS off', (config) => {
    // Act, Assess
    expect(corsRules(config)).toBeUndefined();
  });

  test('an object with allowedOrigins is the rules', () => {
    // Act, Assess
    expect(corsRules(RULES)).toBe(RULES);
  });

  test.each([true, 'http://app.example', {}])('%p is refused', (config) => {
    // Act
    const error = thrown(() => corsRules(config));

    // Assess
    expect(error).toBeInstanceOf(Error);
  });
});

describe('parseTimeouts', () => {
  const names = ['secretsRefresh', 'secretsGet'];

  test('name=seconds pairs for functions that exist', () => {
    // Act
    const timeouts = parseTimeouts(' secretsRefresh=2, secretsGet=5 ', names);

    // Assess
    expect([...timeouts]).toEqual([
      ['secretsRefresh', 2],
      ['secretsGet', 5],
    ]);
  });

  test.each([undefined, '', ' , '])('%p changes nothing', (value) => {
    // Act, Assess
    expect(parseTimeouts(value, names).size).toBe(0);
  });

  test.each(['nope=2', 'secretsRefresh', 'secretsRefresh=0', 'secretsRefresh=1.5', 'secretsRefresh=-1'])(
    '%p is refused',
    (value) => {
      // Act
      const error = thrown(() => parseTimeouts(value, names));

      // Assess
      expect(String(error)).toMatch(/LOCAL_FUNCTION_TIMEOUTS/);
    },
  );
});

describe('joinRepeatedHeaders', () => {
  test('a repeated header becomes one, its values joined with commas in the order sent, whatever its case', () => {
    expect(
      joinRepeatedHeaders([
        'X-Auth-Token',
        'first',
        'Host',
        'localhost',
        'x-auth-token',
        'second',
        'AUTHORIZATION',
        'Basic a',
        'authorization',
        'Basic b',
      ]),
    ).toEqual(['X-Auth-Token', 'first,second', 'Host', 'localhost', 'AUTHORIZATION', 'Basic a,Basic b']);
  });

  test('headers sent once are left as they are', () => {
    const raw = ['Host', 'localhost', 'Accept', 'application/json', 'X-Empty', ''];
    expect(joinRepeatedHeaders(raw)).toEqual(raw);
  });
});

describe('unparsableRequestAnswer', () => {
  const parts = (answer: string) => {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    return { lines: head.split('\r\n'), body };
  };

  test('a request Node could not parse: a whole 400 answer, JSON:API, with the headers of every answer', () => {
    const { lines, body } = parts(unparsableRequestAnswer('HPE_INVALID_HEADER_TOKEN'));
    expect(lines).toEqual([
      'HTTP/1.1 400 Bad Request',
      'Content-Type: application/json',
      `Content-Length: ${Buffer.byteLength(body)}`,
      'Cache-Control: no-store',
      'X-Content-Type-Options: nosniff',
      'Connection: close',
    ]);
    expect(JSON.parse(body)).toEqual({
      errors: [expect.objectContaining({ status: '400', code: 'bad_request' })],
    });
  });

  test.each([
    ['HPE_HEADER_OVERFLOW', 'HTTP/1.1 431 Request Header Fields Too Large'],
    ['HPE_CHUNK_EXTENSIONS_OVERFLOW', 'HTTP/1.1 413 Payload Too Large'],
    ['ERR_HTTP_REQUEST_TIMEOUT', 'HTTP/1.1 408 Request Timeout'],
    [undefined, 'HTTP/1.1 400 Bad Request'],
  ])('%s: the status Node gives it (%s)', (code, statusLine) => {
    const { lines, body } = parts(unparsableRequestAnswer(code));
    expect(lines[0]).toBe(statusLine);
    const status = statusLine.split(' ')[1];
    expect(JSON.parse(body)).toEqual({ errors: [expect.objectContaining({ status })] });
  });
});
