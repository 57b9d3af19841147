/**
 * Events and webhooks end to end: the real `npm start` program (DynamoDB Local with its stream,
 * serverless-offline, and the local pump standing in for the stream and SQS event sources), a
 * webhook receiver on loopback that verifies every delivery with the reference Standard Webhooks
 * library, and a real OAuth server (oidc-provider) refusing a refresh.
 */
import { grantTenantAdmin } from '../../lib/directory/admin';
import { createMember, createWorld, secretDocument, type TestUser, type World } from '../support/fixtures';
import { registerOAuthClient, startOAuthServer, type OAuthServer } from '../support/oauthServer';
import { startLocalServer, type LocalServer } from '../support/server';
import { until } from '../support/until';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhookReceiver';
import { Api, basic, expectJsonApiError, expectStatus, type Json } from './api';

/**
 * Short retries, so that a failing webhook settles within the test (after its attempt at 15 s), but
 * a window long enough for the SIGKILL test's restart (12 s measured on a busy 2-core machine).
 */
const SERVER_ENV = { WEBHOOK_FIRST_RETRY_SECONDS: '1', WEBHOOK_RETRY_FOR_SECONDS: '30' };

let server: LocalServer;
let oauth: OAuthServer;
let api: Api;
let world: World;
/** Holds every tenant permission (webhooks included). */
let manager: TestUser;
let receiver: WebhookReceiver;

const webhooksPath = (tenantId: string) => `/v2/tenants/${tenantId}/webhooks`;
const eventsPath = (workspaceId: string) => `/v2/workspaces/${workspaceId}/events`;

beforeAll(async () => {
  [server, oauth, receiver] = await Promise.all([
    startLocalServer({ own: true, env: SERVER_ENV }),
    startOAuthServer(),
    startWebhookReceiver(),
  ]);
  api = new Api(server.baseUrl);
  world = await createWorld(server.stack.services);
  manager = await createMember(server.stack.services, world.workspaceId, { role: 'admin' });
  await grantTenantAdmin(server.stack.services, world.tenantId, manager.id);
  const created = await createWebhook(receiver.url, []);
  receiver.setSecret(created.attributes.secret);
}, 120_000);

afterAll(async () => {
  await Promise.all([server?.stop(), oauth?.stop(), receiver?.stop()]);
});

async function createWebhook(url: string, eventTypes: string[]): Promise<Json> {
  const reply = await api.post(webhooksPath(world.tenantId), basic(manager), {
    data: { type: 'webhook', attributes: { url, event_types: eventTypes } },
  });
  expectStatus(reply, 201);
  return reply.body.data;
}

async function createSecret(credentials: Record<string, unknown> = { api_key: 'sk-live-events-1' }) {
  const reply = await api.post(
    `/v2/workspaces/${world.workspaceId}/secrets`,
    basic(world.admin),
    secretDocument(world.otherClientId, { credentials }),
  );
  expectStatus(reply, 201);
  return reply.body.data.id as string;
}

const deliveryOf = (type: string, secretId: string) => (delivery: { event?: Json; verified: boolean }) =>
  delivery.verified && delivery.event?.type === type && delivery.event?.data.auth_secret_id === secretId;

async function deliveriesOf(id: string): Promise<Json[]> {
  const reply = await api.get(`${webhooksPath(world.tenantId)}/${id}/deliveries`, basic(manager));
  expectStatus(reply, 200);
  return reply.body.data;
}

describe('webhooks', () => {
  test('create answers the signing secret once; get, list, patch and delete', async () => {
    const created = await createWebhook('https://hooks.example.com/in', ['auth_secret.deleted']);
    expect(created.attributes.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(created.attributes.secret.slice(6), 'base64')).toHaveLength(32);
    const path = `${webhooksPath(world.tenantId)}/${created.id}`;

    const read = await api.get(path, basic(manager));
    expectStatus(read, 200);
    expect(read.body.data.attributes).toEqual({
      url: 'https://hooks.example.com/in',
      event_types: ['auth_secret.deleted'],
      enabled: true,
      created_at: created.attributes.created_at,
      updated_at: created.attributes.updated_at,
    });
    expect(read.text).not.toContain(created.attributes.secret.slice(6));

    const listed = await api.get(webhooksPath(world.tenantId), basic(manager));
    expectStatus(listed, 200);
    expect(listed.body.data.map((webhook: Json) => webhook.id)).toContain(created.id);
    expect(listed.text).not.toContain('whsec_');

    const patched = await api.patch(path, basic(manager), {
      data: { type: 'webhook', id: created.id, attributes: { enabled: false, event_types: [] } },
    });
    expectStatus(patched, 200);
    expect(patched.body.data.attributes).toMatchObject({ enabled: false, event_types: [] });

    expectStatus(await api.delete(path, basic(manager)), 204);
    expectStatus(await api.get(path, basic(manager)), 404);
  });

  test.each([
    ['url', { url: 'http://169.254.169.254/latest' }],
    ['url', { url: 'ftp://hooks.example.com/' }],
    ['url', {}],
    ['event_types', { url: 'https://hooks.example.com/', event_types: ['auth_secret.exploded'] }],
    ['enabled', { url: 'https://hooks.example.com/', enabled: 'yes' }],
    ['secret', { url: 'https://hooks.example.com/', secret: 'whsec_mine' }],
    ['colour', { url: 'https://hooks.example.com/', colour: 'red' }],
  ])('422 naming %s for a bad attribute, and nothing is made', async (field, attributes) => {
    const before = (await api.get(webhooksPath(world.tenantId), basic(manager))).body.meta.total;
    const reply = await api.post(webhooksPath(world.tenantId), basic(manager), {
      data: { type: 'webhook', attributes },
    });
    expectJsonApiError(reply, 422, { pointer: `/data/attributes/${field}` });
    expect((await api.get(webhooksPath(world.tenantId), basic(manager))).body.meta.total).toBe(before);
  });

  test('take the tenants.webhook permissions: a workspace admin without them cannot see or make any', async () => {
    const member = world.admin; // every workspace permission, no tenant grant
    expect([403, 404]).toContain((await api.get(webhooksPath(world.tenantId), basic(member))).status);
    const made = await api.post(webhooksPath(world.tenantId), basic(member), {
      data: { type: 'webhook', attributes: { url: 'https://hooks.example.com/' } },
    });
    expect([403, 404]).toContain(made.status);
    const onlyReads = await createMember(server.stack.services, world.workspaceId, { role: 'viewer' });
    await grantTenantAdmin(server.stack.services, world.tenantId, onlyReads.id, ['tenants.webhook.get']);
    expectStatus(await api.get(webhooksPath(world.tenantId), basic(onlyReads)), 200);
    const refused = await api.post(webhooksPath(world.tenantId), basic(onlyReads), {
      data: { type: 'webhook', attributes: { url: 'https://hooks.example.com/' } },
    });
    expectStatus(refused, 403);
  });
});

describe('lifecycle events', () => {
  test('created, updated, soft_deleted, restored and deleted reach the webhook signed, without credentials, and are listed in order', async () => {
    const secretId = await createSecret({ api_key: 'sk-live-lifecycle' });
    const patched = await api.patch(
      `/v2/workspaces/${world.workspaceId}/secrets/${secretId}`,
      basic(world.admin),
      {
        data: {
          type: 'auth-secret',
          id: secretId,
          attributes: { credentials: { api_key: 'sk-live-rotated' } },
        },
      },
    );
    expectStatus(patched, 200);
    const secretPath = `/v2/workspaces/${world.workspaceId}/secrets/${secretId}`;
    // Deleted recoverably, restored, then deleted for good.
    expectStatus(await api.delete(secretPath, basic(world.admin)), 204);
    expectStatus(await api.post(`${secretPath}/restore`, basic(world.admin), undefined), 200);
    expectStatus(await api.delete(`${secretPath}?force=true`, basic(world.admin)), 204);

    const created = await receiver.waitFor(deliveryOf('auth_secret.created', secretId));
    const updated = await receiver.waitFor(deliveryOf('auth_secret.updated', secretId));
    const softDeleted = await receiver.waitFor(deliveryOf('auth_secret.soft_deleted', secretId));
    const restored = await receiver.waitFor(deliveryOf('auth_secret.restored', secretId));
    const deleted = await receiver.waitFor(deliveryOf('auth_secret.deleted', secretId));
    expect(created.event).toEqual({
      id: created.id,
      type: 'auth_secret.created',
      occurred_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: {
        tenant_id: world.tenantId,
        workspace_id: world.workspaceId,
        auth_secret_id: secretId,
        auth_client_id: world.otherClientId,
        user_id: world.admin.id,
        state: 'ready',
        error: null,
        error_code: null,
        revision: 1,
      },
    });
    // Revisions only grow, as the secret's ETag does (leases and the purge bookkeeping may skip
    // some): a receiver tells a late delivery by it. The deletion is one past the last.
    const revisions = [created, updated, softDeleted, restored, deleted].map(
      (delivery) => (delivery.event?.data as Json).revision as number,
    );
    expect(revisions[1]).toBe(Number(patched.body.data.meta.revision));
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions[4]).toBe((revisions[3] ?? 0) + 1);
    for (const delivery of [created, updated, softDeleted, restored, deleted]) {
      expect(delivery.body).not.toContain('sk-live');
      expect(Math.abs(Number(delivery.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }

    const listed = await api.get(
      `${eventsPath(world.workspaceId)}?filter[auth_secret]=${secretId}`,
      basic(world.admin),
    );
    expectStatus(listed, 200);
    expect(listed.body.data.map((event: Json) => [event.id, event.attributes.event_type])).toEqual([
      [created.id, 'auth_secret.created'],
      [updated.id, 'auth_secret.updated'],
      [softDeleted.id, 'auth_secret.soft_deleted'],
      [restored.id, 'auth_secret.restored'],
      [deleted.id, 'auth_secret.deleted'],
    ]);
    expect(listed.text).not.toContain('sk-live');
    const onlyDeletes = await api.get(
      `${eventsPath(world.workspaceId)}?filter[type]=auth_secret.deleted&filter[auth_secret]=${secretId}`,
      basic(world.admin),
    );
    expect(onlyDeletes.body.data.map((event: Json) => event.id)).toEqual([deleted.id]);
  }, 60_000);

  test('the events list pages by key, oldest first', async () => {
    const ids = [await createSecret(), await createSecret(), await createSecret()];
    const all = await until(
      async () =>
        (await api.get(`${eventsPath(world.workspaceId)}?page[limit]=100`, basic(world.admin))).body
          .data as Json[],
      (events) => ids.every((id) => events.some((event) => event.attributes.data.auth_secret_id === id)),
      20_000,
      250,
    );
    const walked: string[] = [];
    let next: string | undefined = `${eventsPath(world.workspaceId)}?page[limit]=2`;
    while (next) {
      const page = await api.get(next, basic(world.admin));
      expectStatus(page, 200);
      expect(page.body.data.length).toBeLessThanOrEqual(2);
      walked.push(...page.body.data.map((event: Json) => event.id));
      next = page.body.links.next;
    }
    expect(walked.slice(0, all.length)).toEqual(all.map((event) => event.id));
    expect([...walked].sort()).toEqual(walked);
  }, 60_000);

  test('events need workspaces.auth_secret.get, and filters are checked', async () => {
    const stranger = await createMember(server.stack.services, world.workspaceId, {
      permissions: ['workspaces.secret.get'],
    });
    expectStatus(await api.get(eventsPath(world.workspaceId), basic(stranger)), 403);
    expectJsonApiError(
      await api.get(`${eventsPath(world.workspaceId)}?filter[type]=auth_secret.nope`, basic(world.admin)),
      400,
      { parameter: 'filter[type]' },
    );
    expectJsonApiError(
      await api.get(`${eventsPath(world.workspaceId)}?page[after]=yesterday`, basic(world.admin)),
      400,
      { parameter: 'page[after]' },
    );
  });
});

describe('deliveries', () => {
  test('refused deliveries are retried with the same webhook-id until one is accepted, and the delivery says so', async () => {
    // A receiver of its own: deliveries of other tests' events must not use up its refusals.
    const flaky = await startWebhookReceiver();
    try {
      const hook = await createWebhook(flaky.url, ['auth_secret.created']);
      flaky.setSecret(hook.attributes.secret);
      flaky.refuse(503, 2);
      const secretId = await createSecret();
      const accepted = await flaky.waitFor(
        (delivery) => deliveryOf('auth_secret.created', secretId)(delivery) && delivery.answered === 204,
        30_000,
      );
      const attempts = flaky.received.filter((delivery) => delivery.id === accepted.id);
      expect(attempts.map((delivery) => delivery.answered)).toEqual([503, 503, 204]);
      expect(attempts.every((delivery) => delivery.verified)).toBe(true);
      expect(new Set(attempts.map((delivery) => delivery.body)).size).toBe(1);

      const delivery = await until(
        async () => (await deliveriesOf(hook.id)).find((entry) => entry.id === accepted.id),
        (entry) => entry?.attributes.status === 'delivered',
        10_000,
        250,
      );
      expect(delivery?.attributes).toMatchObject({
        event_type: 'auth_secret.created',
        status: 'delivered',
        attempts: 3,
        last_status_code: 204,
      });
    } finally {
      await flaky.stop();
    }
  }, 60_000);

  test('a webhook that keeps failing is retried until WEBHOOK_RETRY_FOR_SECONDS, then kept as failed', async () => {
    const failing = await startWebhookReceiver();
    try {
      failing.refuse(500);
      const hook = await createWebhook(failing.url, ['auth_secret.created']);
      const secretId = await createSecret();
      await failing.waitFor((delivery) => delivery.body.includes(secretId));
      const settled = await until(
        async () => (await deliveriesOf(hook.id)).find((entry) => entry.attributes.status !== 'pending'),
        (entry) => entry !== undefined,
        40_000,
        250,
      );
      expect(settled?.attributes).toMatchObject({ status: 'failed', last_status_code: 500 });
      expect(settled?.attributes.attempts).toBeGreaterThanOrEqual(3);
      expect(failing.received.length).toBe(settled?.attributes.attempts);
    } finally {
      await failing.stop();
    }
  }, 60_000);

  test('a provider refusing the refresh: reconnect_required arrives, and filter[state]=error finds the secret', async () => {
    const clientId = await registerOAuthClient(server.stack.services, world.tenantId, oauth, 'basic');
    const created = await api.post(
      `/v2/workspaces/${world.workspaceId}/secrets`,
      basic(world.admin),
      secretDocument(clientId, {
        credentials: { access_token: 'at-events', refresh_token: 'revoked-grant', expires_in: 3600 },
      }),
    );
    expectStatus(created, 201);
    const secretId = created.body.data.id as string;
    const refreshed = await api.post(
      `/v2/workspaces/${world.workspaceId}/secrets/${secretId}/refresh`,
      basic(world.admin),
      undefined,
    );
    expect(refreshed.status).toBeGreaterThanOrEqual(400);

    const heard = await receiver.waitFor(deliveryOf('auth_secret.reconnect_required', secretId));
    expect(heard.event?.data).toMatchObject({ state: 'error', error_code: 'invalid_grant' });
    expect(heard.body).not.toContain('revoked-grant');
    expect(heard.body).not.toContain('at-events');
    const inError = await api.get(
      `/v2/workspaces/${world.workspaceId}/secrets?filter[state]=error&page[limit]=100`,
      basic(world.admin),
    );
    expect(inError.body.data.map((secret: Json) => secret.id)).toContain(secretId);
  }, 60_000);

  test('a SIGKILL of npm start between a change and its delivery: delivered after the restart', async () => {
    receiver.refuse(503);
    const secretId = await createSecret();
    const firstTry = await receiver.waitFor(deliveryOf('auth_secret.created', secretId));
    await server.restart({ crash: true });
    receiver.refuse(503, 0);
    const delivered = await receiver.waitFor(
      (delivery) => delivery.id === firstTry.id && delivery.answered === 204,
      60_000,
    );
    expect(delivered.verified).toBe(true);
  }, 150_000);
});
