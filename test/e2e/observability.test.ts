/**
 * Logs and metrics end to end: the real `npm start` program at LOG_LEVEL=DEBUG, with everything it
 * writes captured (its own lines, serverless-offline's, and the functions' JSON logs and EMF
 * metrics). Before the tests, every kind of request that carries a secret is sent with values of
 * its own (API keys right and wrong, client secrets, credentials, v1 payloads, refresh and access
 * tokens, webhook signing secrets, a whole connect flow), and scheduled and queued work runs:
 *
 * - none of those values, nor their base64 forms, nor any header that carries them, is in the log;
 * - the functions' log lines are JSON with level, message, service, function, cold start, request id
 *   and (HTTP) API Gateway's request id;
 * - the metrics appear there as EMF lines with their dimensions.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { grantTenantAdmin } from '../../lib/directory/admin';
import { createMember, createWorld, type TestUser, type World } from '../support/fixtures';
import { OAuthBrowser } from '../support/oauthBrowser';
import {
  connectClientAttributes,
  OAUTH_ACCOUNTS,
  OAUTH_CLIENTS,
  registerOAuthClient,
  startOAuthServer,
  type OAuthServer,
} from '../support/oauthServer';
import { startLocalServer, type LocalServer } from '../support/server';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are whatever the server sent
type Json = any;

let server: LocalServer;
let oauth: OAuthServer;
let receiver: WebhookReceiver;
let world: World;
/** Holds every tenant permission (auth-clients, webhooks). */
let manager: TestUser;
/** Every secret value a request carried or an answer gave, by what it is. */
const sent = new Map<string, string>();
/** What the server wrote, once the work below is done. */
let log = '';

const APP = 'https://app.example.com';

/** A value of its own, recorded as sent. */
function secret(what: string): string {
  const value = `${what}-${randomBytes(12).toString('base64url')}`;
  sent.set(what, value);
  return value;
}

function record(what: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new Error(`${what}: no value to look for`);
  sent.set(what, value);
}

const basicOf = (email: string, apiKey: string) =>
  `Basic ${Buffer.from(`${email}:${apiKey}`).toString('base64')}`;
const basic = (user: TestUser) => ({ Authorization: basicOf(user.email, user.apiKey) });

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  raw?: { contentType: string; body: string },
): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
  const response = await fetch(new URL(path, server.baseUrl), {
    method,
    headers: {
      ...headers,
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      ...(raw ? { 'Content-Type': raw.contentType } : {}),
    },
    body: raw ? raw.body : body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let parsed: Json;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text, headers: response.headers };
}

async function expectStatus<T extends { status: number; text: string }>(reply: Promise<T>, status: number) {
  const answered = await reply;
  if (answered.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${answered.status}: ${answered.text.slice(0, 500)}`);
  }
  return answered;
}

const secretsPath = () => `/v2/workspaces/${world.workspaceId}/secrets`;

/** Creates a v2 secret of `authClientId` with `credentials`; returns its resource. */
async function createSecret(authClientId: string, credentials: Record<string, unknown>, headers = {}) {
  const reply = await expectStatus(
    call(
      'POST',
      secretsPath(),
      { ...basic(world.admin), ...headers },
      {
        data: {
          type: 'auth-secret',
          attributes: { name: 'observed', state: 'ready', credentials },
          relationships: { 'auth-client': { data: { id: authClientId, type: 'auth-client' } } },
        },
      },
    ),
    201,
  );
  return reply.body.data as Json;
}

async function createAuthClient(attributes: Record<string, unknown>): Promise<string> {
  const reply = await expectStatus(
    call('POST', `/v2/tenants/${world.tenantId}/auth-clients`, basic(manager), {
      data: {
        type: 'auth-client',
        attributes: { name: 'observed client', auth_type: 'oauth2', ...attributes },
      },
    }),
    201,
  );
  return reply.body.data.id as string;
}

/** The API and v1 requests that carry secrets, each with values of its own. */
async function sendSecrets(): Promise<void> {
  const admin = basic(world.admin);
  const [, , keyId, keySecret] = world.admin.apiKey.split('.');
  record('API key', world.admin.apiKey);
  record('API key secret', keySecret);
  record('Basic header', admin.Authorization.slice('Basic '.length));

  // Wrong keys: well formed (the ids of a real key), and not.
  const wrongKey = `asec.${world.admin.id}.${keyId}.${secret('wrong key secret')}`;
  record('wrong Basic header', basicOf(world.admin.email, wrongKey).slice('Basic '.length));
  await expectStatus(
    call('GET', secretsPath(), { Authorization: basicOf(world.admin.email, wrongKey) }),
    401,
  );
  await expectStatus(call('GET', '/v1/secrets', { 'X-Auth-Token': wrongKey }), 401);
  await expectStatus(call('GET', secretsPath(), { 'X-Auth-Token': secret('garbage token') }), 401);
  await expectStatus(call('GET', secretsPath(), { Authorization: `Bearer ${secret('bearer token')}` }), 401);

  // Auth-clients: created and changed with client secrets.
  const clientId = await createAuthClient({
    token_url: 'https://provider.example/token',
    client_id: 'observed',
    client_secret: secret('client secret'),
  });
  await expectStatus(
    call('PATCH', `/v2/tenants/${world.tenantId}/auth-clients/${clientId}`, basic(manager), {
      data: { type: 'auth-client', id: clientId, attributes: { client_secret: secret('client secret 2') } },
    }),
    200,
  );

  // Credentials of an `other` secret: created (idempotently), read, listed, changed, versions read.
  const created = await createSecret(
    world.otherClientId,
    { api_key: secret('credential'), nested: { password: secret('nested credential') } },
    { 'Idempotency-Key': secret('idempotency key') },
  );
  const path = `${secretsPath()}/${created.id}`;
  await expectStatus(call('GET', path, admin), 200);
  await expectStatus(call('GET', secretsPath(), admin), 200);
  await expectStatus(
    call('PATCH', path, admin, {
      data: {
        type: 'auth-secret',
        id: created.id,
        attributes: { credentials: { api_key: secret('credential 2') } },
      },
    }),
    200,
  );
  await expectStatus(call('GET', `${path}/versions/1`, admin), 200);
  // Refused documents that carry credentials: malformed JSON, an unknown attribute, a wrong type.
  await expectStatus(
    call('POST', secretsPath(), admin, undefined, {
      contentType: 'application/json',
      body: `{"data": {"attributes": {"credentials": {"k": "${secret('malformed body credential')}"`,
    }),
    400,
  );
  await expectStatus(
    call('POST', secretsPath(), admin, {
      data: {
        type: 'auth-secret',
        attributes: { name: 'x', credentials: { k: secret('refused credential') }, bogus: 1 },
        relationships: { 'auth-client': { data: { id: world.otherClientId, type: 'auth-client' } } },
      },
    }),
    422,
  );

  // v1 payloads: text, binary (base64), and given later with PUT.
  const v1 = { 'X-Auth-Token': world.admin.apiKey, 'X-Project-Id': world.workspaceId };
  const text = await expectStatus(
    call('POST', '/v1/secrets', v1, {
      name: 'observed',
      payload: secret('v1 payload'),
      payload_content_type: 'text/plain',
    }),
    201,
  );
  const binary = Buffer.from(secret('v1 binary payload'));
  await expectStatus(
    call('POST', '/v1/secrets', v1, {
      name: 'observed binary',
      payload: binary.toString('base64'),
      payload_content_type: 'application/octet-stream',
      payload_content_encoding: 'base64',
    }),
    201,
  );
  const textRef = new URL(text.body.secret_ref as string).pathname;
  await expectStatus(call('GET', `${textRef}/payload`, { ...v1, Accept: 'text/plain' }), 200);
  const later = await expectStatus(call('POST', '/v1/secrets', v1, { name: 'given later' }), 201);
  await expectStatus(
    call('PUT', new URL(later.body.secret_ref as string).pathname, v1, undefined, {
      contentType: 'text/plain',
      body: secret('v1 put payload'),
    }),
    204,
  );
  await expectStatus(call('GET', `${new URL(later.body.secret_ref as string).pathname}/payload`, v1), 200);
}

/** Refreshes on demand (a success, a provider's 503, a refusal) and by the schedule. */
async function refresh(): Promise<void> {
  const admin = basic(world.admin);
  record('provider client secret', OAUTH_CLIENTS.basic.secret);
  const clientId = await registerOAuthClient(server.stack.services, world.tenantId, oauth, 'basic');
  const tokens = async (what: string) => {
    const refreshToken = await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId);
    record(`${what} refresh token`, refreshToken);
    return { access_token: secret(`${what} access token`), refresh_token: refreshToken, expires_in: 3600 };
  };
  const onDemand = await createSecret(clientId, await tokens('on demand'));
  const refreshed = await expectStatus(call('POST', `${secretsPath()}/${onDemand.id}/refresh`, admin), 200);
  record('refreshed access token', refreshed.body.data.attributes.credentials.access_token);
  record('refreshed refresh token', refreshed.body.data.attributes.credentials.refresh_token);

  const unavailable = await createSecret(clientId, await tokens('unavailable'));
  await oauth.setFault('503', 1);
  await expectStatus(call('POST', `${secretsPath()}/${unavailable.id}/refresh`, admin), 502);

  const refused = await createSecret(clientId, {
    access_token: secret('refused access token'),
    refresh_token: secret('refused refresh token'),
    expires_in: 3600,
  });
  await expectStatus(call('POST', `${secretsPath()}/${refused.id}/refresh`, admin), 422);

  // Due within the refresh window: the schedule refreshes it.
  const due = await createSecret(clientId, { ...(await tokens('scheduled')), expires_in: 60 });
  await server.invoke('refreshDue');
  const after = await expectStatus(call('GET', `${secretsPath()}/${due.id}`, admin), 200);
  record('scheduled new access token', after.body.data.attributes.credentials.access_token);
  record('scheduled new refresh token', after.body.data.attributes.credentials.refresh_token);
}

/** A webhook (its signing secret answered once), and a delivery to it, signed. */
async function webhook(): Promise<void> {
  const created = await expectStatus(
    call('POST', `/v2/tenants/${world.tenantId}/webhooks`, basic(manager), {
      data: { type: 'webhook', attributes: { url: receiver.url, event_types: ['auth_secret.created'] } },
    }),
    201,
  );
  const signingSecret = created.body.data.attributes.secret as string;
  record('webhook signing secret', signingSecret);
  record('webhook signing key', signingSecret.slice('whsec_'.length));
  receiver.setSecret(signingSecret);
  const secretAfter = await createSecret(world.otherClientId, { api_key: secret('webhook-era credential') });
  await receiver.waitFor(
    (delivery) => delivery.verified && delivery.event?.data.auth_secret_id === secretAfter.id,
    60_000,
  );
}

/** The signatures the deliveries carried (Standard Webhooks: HMAC-SHA256 of id.timestamp.body). */
function recordSignatures(): void {
  const key = Buffer.from(sent.get('webhook signing key') ?? '', 'base64');
  for (const [index, delivery] of receiver.received.entries()) {
    const signed = `${delivery.id}.${delivery.timestamp}.${delivery.body}`;
    record(`webhook signature ${index}`, createHmac('sha256', key).update(signed).digest('base64'));
  }
}

/** A whole connect flow: session, the provider's login and consent, the callback, the secret it made. */
async function connect(): Promise<void> {
  const provider = await oauth.registerClient({
    redirectUris: [`${server.baseUrl}/v2/oauth/callback`],
    authMethod: 'client_secret_basic',
  });
  record('connect client secret', provider.secret);
  const clientId = await createAuthClient(connectClientAttributes(oauth, provider, APP));
  const session = await expectStatus(
    call('POST', `/v2/workspaces/${world.workspaceId}/connect-sessions`, basic(world.admin), {
      data: {
        type: 'connect-session',
        attributes: { name: 'connected', return_url: `${APP}/done` },
        relationships: { 'auth-client': { data: { type: 'auth-client', id: clientId } } },
      },
    }),
    201,
  );
  const callbackUrl = await new OAuthBrowser().authorize(session.body.data.attributes.authorize_url, {
    ...OAUTH_ACCOUNTS.alice,
    decision: 'allow',
  });
  record('authorization code', callbackUrl.searchParams.get('code'));
  const answer = await fetch(callbackUrl, { redirect: 'manual' });
  await answer.text();
  const secretId = new URL(answer.headers.get('location') ?? '').searchParams.get('auth_secret_id');
  const connected = await expectStatus(call('GET', `${secretsPath()}/${secretId}`, basic(world.admin)), 200);
  record('connected access token', connected.body.data.attributes.credentials.access_token);
  record('connected refresh token', connected.body.data.attributes.credentials.refresh_token);
}

/** Waits until the server's log holds `done` (its lines arrive through a pipe, a moment after the answers). */
async function logOnce(done: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 20_000;
  while (!done(server.log()) && Date.now() < deadline) {
    await new Promise((resolveWait) => setTimeout(resolveWait, 200));
  }
  return server.log();
}

beforeAll(async () => {
  [server, oauth, receiver] = await Promise.all([
    startLocalServer({ own: true, env: { LOG_LEVEL: 'DEBUG' } }),
    startOAuthServer(),
    startWebhookReceiver(),
  ]);
  world = await createWorld(server.stack.services);
  manager = await createMember(server.stack.services, world.workspaceId, { role: 'admin' });
  await grantTenantAdmin(server.stack.services, world.tenantId, manager.id);
  record('manager API key', manager.apiKey);

  await webhook();
  await sendSecrets();
  await refresh();
  await connect();
  recordSignatures();
  log = await logOnce(
    (text) =>
      text.includes('"message":"scheduled refresh"') &&
      text.includes('"WebhookDeliveries"') &&
      text.includes('auth-secrets-local-oauthCallback'),
  );
}, 240_000);

afterAll(async () => {
  await Promise.all([server?.stop(), oauth?.stop(), receiver?.stop()]);
});

/** The forms a value could take in a log: as is, base64, base64url, URL-encoded. */
function formsOf(value: string): string[] {
  const base64 = Buffer.from(value).toString('base64');
  return [
    ...new Set([
      value,
      base64,
      base64.replace(/=+$/, ''),
      Buffer.from(value).toString('base64url'),
      encodeURIComponent(value),
    ]),
  ];
}

/** The server's lines that are JSON objects (the functions' logs and metrics). */
function jsonLines(): Json[] {
  return log
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line) as Json);
}

const isMetric = (line: Json) => typeof line._aws === 'object';

/** The metric lines of `name`, as { dimension: value } plus its value. */
function metrics(name: string): Array<Record<string, unknown>> {
  return jsonLines()
    .filter(
      (line) => isMetric(line) && line._aws.CloudWatchMetrics[0].Metrics.some((m: Json) => m.Name === name),
    )
    .map((line) => {
      const [definition] = line._aws.CloudWatchMetrics;
      expect(definition.Namespace).toBe('AuthSecrets');
      const dimensions = definition.Dimensions[0] as string[];
      return {
        ...Object.fromEntries(dimensions.map((dimension) => [dimension, line[dimension]])),
        value: line[name],
      };
    });
}

describe('redaction: the log holds none of the secrets the requests carried', () => {
  test('every value sent or answered, in every form', () => {
    expect(sent.size).toBeGreaterThan(30);
    const found = [...sent.entries()].filter(([, value]) =>
      formsOf(value).some((form) => log.includes(form)),
    );
    expect(found.map(([what]) => what)).toEqual([]);
  });

  test('no credential-shaped text: API keys, Basic credentials, signing secrets, credential headers', () => {
    // Each match is shown, not the whole log.
    const shapes = [
      /asec\.[0-9a-f-]{36}\.[0-9a-f-]{36}\.[A-Za-z0-9_-]{8,}/,
      /Basic [A-Za-z0-9+/]{16,}/,
      /whsec_[A-Za-z0-9+/]{8,}/,
      /"(authorization|x-auth-token|cookie)"\s*:/i,
    ];
    expect(shapes.map((shape) => log.match(shape)?.[0]).filter(Boolean)).toEqual([]);
  });

  test('the check reads the functions’ lines: ids they log are there', () => {
    const settled = jsonLines().find((line) => line.message === 'webhook delivery settled');
    expect(settled?.webhookId).toEqual(expect.any(String));
    expect(log).toContain(settled?.eventId);
  });
});

describe('log lines of the functions', () => {
  test('are JSON with level, message, service, timestamp; HTTP ones with the function, request ids and cold start', () => {
    const logs = jsonLines().filter((line) => !isMetric(line));
    expect(logs.length).toBeGreaterThan(20);
    for (const line of logs) {
      expect(line).toMatchObject({
        level: expect.stringMatching(/^(DEBUG|INFO|WARN|ERROR)$/),
        message: expect.any(String),
        service: 'auth-secrets',
        timestamp: expect.any(String),
      });
    }
    const answered = logs.filter((line) => line.message === 'request answered');
    for (const line of answered) {
      expect(line).toMatchObject({
        function_name: expect.stringMatching(/^auth-secrets-local-/),
        function_request_id: expect.any(String),
        correlation_id: expect.any(String),
        cold_start: expect.any(Boolean),
        status: expect.any(Number),
        routeKey: expect.stringMatching(/^(GET|POST|PUT|PATCH|DELETE) \//),
      });
    }
    expect(answered.map((line) => line.function_name)).toEqual(
      expect.arrayContaining(['auth-secrets-local-secretsCreate', 'auth-secrets-local-v1SecretsCreate']),
    );
    // The scheduled run's summary, and a queue function's line.
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          message: 'scheduled refresh',
          function_name: 'auth-secrets-local-refreshDue',
          backlog: 0,
        }),
        expect.objectContaining({
          message: 'webhook delivery settled',
          function_name: 'auth-secrets-local-deliverWebhooks',
        }),
      ]),
    );
  });
});

describe('metrics, as EMF lines in the local log', () => {
  const service = 'auth-secrets';
  // npm start runs the functions as stage `local`: every metric carries it.
  const stage = 'local';

  test('Requests by function and status class', () => {
    expect(metrics('Requests')).toEqual(
      expect.arrayContaining([
        { service, stage, function: 'auth-secrets-local-secretsCreate', statusClass: '2xx', value: 1 },
        { service, stage, function: 'auth-secrets-local-secretsCreate', statusClass: '4xx', value: 1 },
        { service, stage, function: 'auth-secrets-local-secretsList', statusClass: '4xx', value: 1 },
        { service, stage, function: 'auth-secrets-local-secretsRefresh', statusClass: '5xx', value: 1 },
        { service, stage, function: 'auth-secrets-local-v1SecretsCreate', statusClass: '2xx', value: 1 },
        { service, stage, function: 'auth-secrets-local-oauthCallback', statusClass: '3xx', value: 1 },
      ]),
    );
  });

  test('RefreshOutcomes by trigger, outcome and reason; RefreshBacklog at the end of the scheduled run', () => {
    expect(metrics('RefreshOutcomes')).toEqual(
      expect.arrayContaining([
        { service, stage, trigger: 'on_demand', outcome: 'success', reason: 'none', value: 1 },
        { service, stage, trigger: 'on_demand', outcome: 'transient', reason: 'unavailable', value: 1 },
        { service, stage, trigger: 'on_demand', outcome: 'permanent', reason: 'invalid_grant', value: 1 },
        { service, stage, trigger: 'scheduled', outcome: 'success', reason: 'none', value: 1 },
      ]),
    );
    // One scheduled run here (serverless-offline's own schedule may add another): nothing left behind.
    expect(metrics('RefreshBacklog')).toContainEqual({ service, stage, value: 0 });
    expect(metrics('RefreshBacklog').filter((metric) => metric.value !== 0)).toEqual([]);
  });

  test('WebhookDeliveries by outcome, and each function’s ColdStart', () => {
    expect(metrics('WebhookDeliveries')).toEqual(
      expect.arrayContaining([{ service, stage, outcome: 'delivered', value: 1 }]),
    );
    expect(metrics('ColdStart')).toEqual(
      expect.arrayContaining([
        { service, stage, function_name: 'auth-secrets-local-secretsCreate', value: 1 },
        { service, stage, function_name: 'auth-secrets-local-refreshDue', value: 1 },
      ]),
    );
  });
});
