import { linesWrittenBy, metricLines, metricOf, type Json } from '../support/measured';
import { readConfig } from '../../lib/config';
import type { Membership } from '../../lib/model';
import { refreshDueSecrets } from '../../lib/refresh/schedule';
import { refreshSecretNow } from '../../lib/refresh/useCases';
import { createSecret } from '../../lib/secrets/useCases';
import { createServices, type Services } from '../../lib/services';
import { createWorld, membershipOf } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/localStack';
import {
  OAUTH_CLIENTS,
  registerOAuthClient,
  startOAuthServer,
  type OAuthServer,
} from '../support/oauthServer';

/**
 * The refresh metrics as the schedule and the API write them, against a real OAuth server
 * (oidc-provider) and DynamoDB Local: `RefreshOutcomes` by trigger, outcome and reason, and
 * `RefreshBacklog` at the end of each scheduled run. Each test works in a world of its own, but
 * the schedule reads the whole table: the scheduled tests leave nothing due behind, and the one
 * that does (a secret in backoff) comes last.
 */

let stack: TestStack;
let oauth: OAuthServer;
let services: Services;

beforeAll(async () => {
  [stack, oauth] = await Promise.all([startTestStack(), startOAuthServer()]);
  services = createServices(readConfig({ ...stack.env, REFRESH_TIMEOUT_MS: '1500' }), stack.dynamoDb);
}, 90_000);

afterAll(async () => {
  await oauth?.stop();
  await stack?.stop();
});

afterEach(async () => {
  await oauth.setFault('none');
});

/** A world whose admin holds oauth2 secrets of a client registered at the OAuth server. */
async function oauthWorld() {
  const world = await createWorld(services);
  const membership = await membershipOf(services, world.workspaceId, world.admin.id);
  const clientId = await registerOAuthClient(services, world.tenantId, oauth, 'basic');
  /** A secret due within the refresh window (its token expires in a minute); `dead`: a refresh token the provider never issued. */
  const dueSecret = async (dead = false) => {
    const refreshToken = dead
      ? `dead-${Math.random()}`
      : await oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId);
    return createSecret(services, membership, {
      attributes: {
        name: 'due',
        state: 'ready',
        error: null,
        credentials: { access_token: 'old', refresh_token: refreshToken, expires_in: 60 },
      },
      authClientId: clientId,
    });
  };
  return { membership: membership as Membership, dueSecret };
}

const counts = (lines: readonly Json[], name: string) =>
  metricLines(lines, name).map((line) => metricOf(line, name));

const refreshOutcome = (trigger: string, outcome: string, reason: string, value: number) => ({
  namespace: 'AuthSecrets',
  dimensions: { service: 'auth-secrets', stage: 'test', trigger, outcome, reason },
  value,
});
const backlog = (value: number) => ({
  namespace: 'AuthSecrets',
  dimensions: { service: 'auth-secrets', stage: 'test' },
  value,
});

test('a scheduled run counts its refreshes by outcome, one line per outcome, and a backlog of 0', async () => {
  // Prepare: three secrets the provider refreshes, two it refuses (invalid_grant)
  const { dueSecret } = await oauthWorld();
  await Promise.all([dueSecret(), dueSecret(), dueSecret(), dueSecret(true), dueSecret(true)]);

  // Act
  let summary: unknown;
  const lines = await linesWrittenBy(async () => {
    summary = await refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 });
  });

  // Assess
  expect(summary).toEqual({ refreshed: 3, failed: 2, skipped: 0 });
  expect(counts(lines, 'RefreshOutcomes')).toEqual(
    expect.arrayContaining([
      refreshOutcome('scheduled', 'success', 'none', 3),
      refreshOutcome('scheduled', 'permanent', 'invalid_grant', 2),
    ]),
  );
  expect(counts(lines, 'RefreshOutcomes')).toHaveLength(2);
  expect(counts(lines, 'RefreshBacklog')).toEqual([backlog(0)]);
  expect(lines.find((line) => line.message === 'scheduled refresh')).toMatchObject({
    level: 'INFO',
    refreshed: 3,
    failed: 2,
    skipped: 0,
    backlog: 0,
  });
}, 60_000);

test('the backlog: secrets found due that the run did not start before its stop-starting time', async () => {
  // Prepare: four due secrets, and a run that may start nothing
  const { dueSecret } = await oauthWorld();
  await Promise.all([dueSecret(), dueSecret(), dueSecret(), dueSecret()]);

  // Act
  const late = await linesWrittenBy(() => refreshDueSecrets(services, { stopStartingAt: Date.now() }));
  // The next run has the time: it refreshes them, and leaves no backlog.
  const next = await linesWrittenBy(() =>
    refreshDueSecrets(services, { stopStartingAt: Date.now() + 60_000 }),
  );

  // Assess
  expect(counts(late, 'RefreshBacklog')).toEqual([backlog(4)]);
  expect(counts(late, 'RefreshOutcomes')).toEqual([]);
  expect(counts(next, 'RefreshBacklog')).toEqual([backlog(0)]);
  expect(counts(next, 'RefreshOutcomes')).toEqual([refreshOutcome('scheduled', 'success', 'none', 4)]);
}, 60_000);

test('refreshes on demand are counted one by one, with the transient reason', async () => {
  // Prepare: the provider answers the first token request 503, and never issued the second's token
  const { membership, dueSecret } = await oauthWorld();
  const [unavailable, refused] = await Promise.all([dueSecret(), dueSecret(true)]);
  await oauth.setFault('503', 1);

  // Act
  const lines = await linesWrittenBy(async () => {
    await expect(refreshSecretNow(services, membership, unavailable.id)).rejects.toMatchObject({
      status: 502,
    });
    await expect(refreshSecretNow(services, membership, refused.id)).rejects.toMatchObject({ status: 422 });
    await expect(refreshSecretNow(services, membership, 'not-an-id')).rejects.toMatchObject({ status: 404 });
  });

  // Assess: the 404 refreshed nothing, and is not an outcome
  expect(counts(lines, 'RefreshOutcomes')).toEqual([
    refreshOutcome('on_demand', 'transient', 'unavailable', 1),
    refreshOutcome('on_demand', 'permanent', 'invalid_grant', 1),
  ]);
}, 60_000);
