import { linesWrittenBy, metricLines, metricOf, type Json } from '../support/measured';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { barbicanEndpoint, noContent } from '../../lib/barbican/endpoint';
import { NotFoundError } from '../../lib/errors';
import { endpoint } from '../../lib/http/endpoint';
import { ok } from '../../lib/http/results';
import type { SecretRecord } from '../../lib/model';
import { count, logger, observedFunction, observeInvocation } from '../../lib/observability';
import { countRefresh, refreshOutcomeOf, thrownOutcome } from '../../lib/refresh/outcomeMetrics';
import type { RefreshResult } from '../../lib/refresh/refreshSecret';
import type { Services } from '../../lib/services';

/**
 * Logs and metrics as a Lambda function writes them (JSON and EMF lines on stdout), captured in
 * process: the answer count of both middy chains by function and status class, the refresh outcome
 * buckets, and what every log line carries. No network.
 */

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

const event = (routeKey = 'GET /v2/users/{userId}'): Event =>
  ({
    version: '2.0',
    routeKey,
    rawPath: '/v2/users/x',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'apigw-request-1' },
  }) as unknown as Event;

const contextOf = (functionName: string) =>
  ({ functionName, awsRequestId: 'lambda-request-1', memoryLimitInMB: '512' }) as unknown as Context;

/** Without credentials every request is a 401; on a route without an audit trail, nothing else is read. */
const UNAUDITED = 'GET /unaudited';
const services = { config: {} } as unknown as Services;

const requestCounts = (lines: readonly Json[]) =>
  metricLines(lines, 'Requests').map((line) => metricOf(line, 'Requests'));

describe('Requests: one per HTTP answer, by function and status class', () => {
  test.each<[string, () => Promise<Result>, string]>([
    ['an answer', () => Promise.resolve({ statusCode: 201 }), '2xx'],
    ['an error the chain renders', () => Promise.reject(new NotFoundError('no')), '4xx'],
    ['an error nothing renders (the function fails)', () => Promise.reject(new Error('boom')), '5xx'],
  ])('%s', async (_name, answer, statusClass) => {
    // Prepare: the observability middlewares first, an error renderer after them, as the chains have it.
    const handler = middy<Event, Result>()
      .use(observeInvocation<Event, Result, Context>({ http: true }))
      .use({
        onError: (request) => {
          if (request.error instanceof NotFoundError) request.response = { statusCode: 404 };
        },
      })
      .handler(answer);

    // Act
    const lines = await linesWrittenBy(() => handler(event(), contextOf('fn-a')).catch(() => undefined));

    // Assess
    expect(requestCounts(lines)).toEqual([
      {
        namespace: 'AuthSecrets',
        dimensions: { service: 'auth-secrets', stage: 'test', function: 'fn-a', statusClass },
        value: 1,
      },
    ]);
  });

  test('the v2 and v1 chains count their final answer (a 401 rendered by each)', async () => {
    // Prepare
    const v2 = endpoint(
      () => services,
      {},
      () => Promise.resolve(ok({ data: null })),
    );
    const v1 = barbicanEndpoint(
      () => services,
      { operation: 'Secret retrieval', permission: 'workspaces.secret.get' },
      () => Promise.resolve(noContent()),
    );

    // Act
    const lines = await linesWrittenBy(async () => {
      expect((await v2(event(UNAUDITED), contextOf('v2-fn'))).statusCode).toBe(401);
      expect((await v1(event(UNAUDITED), contextOf('v1-fn'))).statusCode).toBe(401);
    });

    // Assess
    expect(requestCounts(lines).map((metric) => metric.dimensions)).toEqual([
      { service: 'auth-secrets', stage: 'test', function: 'v2-fn', statusClass: '4xx' },
      { service: 'auth-secrets', stage: 'test', function: 'v1-fn', statusClass: '4xx' },
    ]);
  });
});

describe('log lines', () => {
  test('carry level, message, service, the function, cold start, request id and API Gateway’s request id', async () => {
    // Prepare
    const handler = middy<Event, Result>()
      .use(observeInvocation<Event, Result, Context>({ http: true }))
      .handler(() => Promise.resolve({ statusCode: 204 }));

    // Act
    const lines = await linesWrittenBy(() => handler(event(), contextOf('fn-log')));

    // Assess
    const answered = lines.find((line) => line.message === 'request answered');
    expect(answered).toMatchObject({
      level: 'DEBUG',
      service: 'auth-secrets',
      function_name: 'fn-log',
      function_request_id: 'lambda-request-1',
      correlation_id: 'apigw-request-1',
      cold_start: expect.any(Boolean),
      status: 204,
      routeKey: 'GET /v2/users/{userId}',
    });
    expect(typeof answered?.timestamp).toBe('string');
  });

  test('a function outside the HTTP API has no correlation id from the one before', async () => {
    // Prepare
    const http = middy<Event, Result>()
      .use(observeInvocation<Event, Result, Context>({ http: true }))
      .handler(() => Promise.resolve({ statusCode: 204 }));
    const scheduled = observedFunction(async () => logger.info('ran'));

    // Act
    const lines = await linesWrittenBy(async () => {
      await http(event(), contextOf('fn-http'));
      await scheduled({}, contextOf('fn-scheduled'));
    });

    // Assess
    const ran = lines.find((line) => line.message === 'ran');
    expect(ran).toMatchObject({ level: 'INFO', function_name: 'fn-scheduled' });
    expect(ran).not.toHaveProperty('correlation_id');
  });
});

describe('RefreshOutcomes: few dimension values, whatever providers answer', () => {
  const secret = (state: 'ready' | 'error') => ({ state }) as SecretRecord;
  test.each<[string, RefreshResult, { outcome: string; reason: string }]>([
    [
      'a success',
      { kind: 'ran', outcome: { kind: 'success', accessToken: 'a' }, secret: secret('ready') },
      { outcome: 'success', reason: 'none' },
    ],
    [
      'a refusal with an RFC 6749 code',
      {
        kind: 'ran',
        outcome: { kind: 'permanent', error: 'invalid_grant', description: 'revoked' },
        secret: secret('error'),
      },
      { outcome: 'permanent', reason: 'invalid_grant' },
    ],
    [
      'a refusal with a code of the provider’s own',
      {
        kind: 'ran',
        outcome: { kind: 'permanent', error: 'account_suspended_42', description: '' },
        secret: secret('error'),
      },
      { outcome: 'permanent', reason: 'other' },
    ],
    [
      'a transient failure',
      {
        kind: 'ran',
        outcome: { kind: 'transient', reason: 'rate_limited', description: '429' },
        secret: secret('ready'),
      },
      { outcome: 'transient', reason: 'rate_limited' },
    ],
    [
      'the transient failure that gave up',
      {
        kind: 'ran',
        outcome: { kind: 'transient', reason: 'timeout', description: 'timed out' },
        secret: secret('error'),
      },
      { outcome: 'gave_up', reason: 'timeout' },
    ],
    [
      'a scheduled refresh left to another',
      { kind: 'skipped', why: 'leased' },
      { outcome: 'skipped', reason: 'leased' },
    ],
    [
      'a request answered by another refresh',
      { kind: 'waited', secret: secret('ready'), answer: { kind: 'success' } },
      { outcome: 'skipped', reason: 'coalesced' },
    ],
  ])('%s', (_name, result, expected) => {
    expect(refreshOutcomeOf(result)).toEqual(expected);
  });

  test('a refresh that threw: failed to run, unless it was refused (nothing to refresh)', () => {
    expect(thrownOutcome(new Error('DynamoDB is down'))).toEqual({ outcome: 'error', reason: 'internal' });
    expect(thrownOutcome(new NotFoundError('gone'))).toBeUndefined();
  });

  test('is written with its trigger beside service', async () => {
    const lines = await linesWrittenBy(async () =>
      countRefresh('on_demand', { outcome: 'permanent', reason: 'invalid_grant' }),
    );
    expect(metricLines(lines, 'RefreshOutcomes').map((line) => metricOf(line, 'RefreshOutcomes'))).toEqual([
      {
        namespace: 'AuthSecrets',
        dimensions: {
          service: 'auth-secrets',
          stage: 'test',
          trigger: 'on_demand',
          outcome: 'permanent',
          reason: 'invalid_grant',
        },
        value: 1,
      },
    ]);
  });
});

test('RefreshBacklog has service and stage as its only dimensions (the alarm on it names exactly those)', async () => {
  const lines = await linesWrittenBy(async () => count('RefreshBacklog', {}, 7));
  expect(metricLines(lines, 'RefreshBacklog').map((line) => metricOf(line, 'RefreshBacklog'))).toEqual([
    { namespace: 'AuthSecrets', dimensions: { service: 'auth-secrets', stage: 'test' }, value: 7 },
  ]);
});
