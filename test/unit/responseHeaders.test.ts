import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { issueApiKey } from '../../lib/auth/apiKeys';
import { barbicanEndpoint, json, noContent as v1NoContent, payload } from '../../lib/barbican/endpoint';
import { NotFoundError } from '../../lib/errors';
import { endpoint } from '../../lib/http/endpoint';
import { created, noContent, ok, type HttpResult } from '../../lib/http/results';
import { newId } from '../../lib/ids';
import type { Membership } from '../../lib/model';
import type { Services } from '../../lib/services';

/** Both middy chains, with a directory that knows one key and one membership: no network. */
const NOW = new Date('2030-01-02T03:04:05.000Z');
const userId = newId();
const issued = issueApiKey(userId, 'ann@example.com', NOW);
const membership: Membership = {
  workspaceId: newId(),
  tenantId: newId(),
  userId,
  permissions: ['workspaces.secret.get'],
  createdAt: NOW.toISOString(),
};
const services = {
  directory: {
    getKeyAndAccess: () => Promise.resolve({ apiKey: issued.record, membership }),
    listMemberships: () => Promise.resolve([membership]),
  },
  config: {},
} as unknown as Services;

const event = (headers: Record<string, string>): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    rawPath: '/',
    rawQueryString: '',
    headers,
    isBase64Encoded: false,
  }) as APIGatewayProxyEventV2;
const authenticated = { 'x-auth-token': issued.apiKey };
const context = {} as Context;

const EXPECTED = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' };

describe('the v2 chain', () => {
  test.each<[string, () => Promise<HttpResult>, Record<string, string>, number]>([
    ['200', () => Promise.resolve(ok({ data: null })), authenticated, 200],
    ['201', () => Promise.resolve(created({ data: null }, '/x')), authenticated, 201],
    ['204', () => Promise.resolve(noContent()), authenticated, 204],
    ['401', () => Promise.resolve(ok({})), {}, 401],
    ['404', () => Promise.reject(new NotFoundError('no')), authenticated, 404],
    ['500', () => Promise.reject(new Error('internal')), authenticated, 500],
  ])('a %s answer says no-store and nosniff', async (_name, result, headers, status) => {
    // Prepare
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const handler = endpoint(() => services, {}, result);

    // Act
    const answer = await handler(event(headers), context);
    quiet.mockRestore();

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.headers).toEqual(expect.objectContaining(EXPECTED));
  });
});

describe('the v1 (Barbican) chain', () => {
  test.each([
    ['200 JSON', () => Promise.resolve(json({ secrets: [] })), authenticated, 200],
    ['200 payload', () => Promise.resolve(payload('text/plain', Buffer.from('s'))), authenticated, 200],
    ['204', () => Promise.resolve(v1NoContent()), authenticated, 204],
    ['401', () => Promise.resolve(v1NoContent()), {}, 401],
    ['404', () => Promise.reject(new NotFoundError('no')), authenticated, 404],
  ])('a %s answer says no-store and nosniff', async (_name, result, headers, status) => {
    // Prepare
    const handler = barbicanEndpoint(
      () => services,
      { operation: 'Secret retrieval', permission: 'workspaces.secret.get' },
      result,
    );

    // Act
    const answer = await handler(event(headers), context);

    // Assess
    expect(answer.statusCode).toBe(status);
    expect(answer.headers).toEqual(expect.objectContaining(EXPECTED));
  });
});
