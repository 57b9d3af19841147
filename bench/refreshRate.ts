import type { Membership } from '../lib/model';
import { refreshDueSecrets } from '../lib/refresh/schedule';
import { createSecret } from '../lib/secrets/useCases';
import type { Services } from '../lib/services';
import { startOAuthServer, type OAuthServer } from '../test/support/oauthServer';
import { oauth2Credentials } from './api';
import { startHandlerStack } from './handlerStack';
import { totalCalls, type CostCounters } from './instrument';
import { calls, num, since, table, type Section } from './stats';
import { createBenchWorld, createProviderClient, inParallel, mintRefreshTokens } from './world';

/**
 * Section 5: how many secrets the scheduled refresh (refreshDueSecrets, as the refreshDue
 * function runs it) refreshes per second against local OAuth servers, at the configured
 * concurrency and at one other.
 *
 * The secrets are spread over PROVIDERS fresh OAuth servers: oidc-provider's in-memory adapter
 * keeps about 1,000 entries (an LRU), and minting a grant and refreshing it with rotation write
 * several each, so one server cannot hold 300 live grants through a run.
 */

const SECRETS = 300;
const PROVIDERS = 3;
/** Expiring within the refresh window (600 s by default), so every one is due. */
const EXPIRES_IN = 120;
const MAX_RUN_SECONDS = 60;

interface RefreshRow {
  readonly concurrency: number;
  readonly configured: boolean;
  readonly seconds: number;
  readonly summary: { refreshed: number; failed: number; skipped: number };
  readonly cost: CostCounters;
  readonly tokenRequests: number;
}

export async function refreshRateSection(): Promise<Section> {
  const stack = await startHandlerStack();
  try {
    const world = await createBenchWorld(stack.services);
    const membership = await stack.services.directory.getMembership(world.workspaceId, world.admin.id);
    if (!membership) throw new Error('the admin has no membership');
    const configured = stack.services.config.refreshConcurrency;
    await warmUp(stack.services, membership);
    const rows: RefreshRow[] = [];
    for (const concurrency of [configured, configured === 1 ? 8 : 1]) {
      const providers = await Promise.all(Array.from({ length: PROVIDERS }, () => startOAuthServer()));
      try {
        await createDueSecrets(stack.services, membership, providers, SECRETS);
        // The scheduled function runs in its own container: it has opened none of these data keys.
        stack.coldStart();
        stack.take();
        const deps = {
          ...stack.services,
          config: { ...stack.services.config, refreshConcurrency: concurrency },
        };
        const start = performance.now();
        const summary = await refreshDueSecrets(deps, {
          stopStartingAt: Date.now() + MAX_RUN_SECONDS * 1000,
        });
        const seconds = since(start) / 1000;
        const cost = stack.take();
        const stats = await Promise.all(providers.map((provider) => provider.stats()));
        rows.push({
          concurrency,
          configured: concurrency === configured,
          seconds,
          summary,
          cost,
          tokenRequests: stats.reduce((sum, stat) => sum + stat.refreshGrants, 0),
        });
      } finally {
        await Promise.all(providers.map((provider) => provider.stop()));
      }
    }
    return render(rows);
  } finally {
    await stack.stop();
  }
}

/**
 * One small unmeasured run first, so that neither measured run pays for this process's JIT
 * warm-up (the providers are fresh processes either way).
 */
async function warmUp(services: Services, membership: Membership): Promise<void> {
  const provider = await startOAuthServer();
  try {
    await createDueSecrets(services, membership, [provider], 30);
    await refreshDueSecrets(services, { stopStartingAt: Date.now() + MAX_RUN_SECONDS * 1000 });
  } finally {
    await provider.stop();
  }
}

/** `count` oauth2 secrets, evenly over the providers, each with its own minted refresh token. */
async function createDueSecrets(
  services: Services,
  membership: Membership,
  providers: OAuthServer[],
  count: number,
) {
  const perProvider = Math.ceil(count / providers.length);
  for (const provider of providers) {
    const clientId = await createProviderClient(services, membership.tenantId, provider);
    const tokens = await mintRefreshTokens(provider, perProvider);
    await inParallel(tokens, 8, (token, index) =>
      createSecret(services, membership, {
        attributes: {
          name: `Due ${index}`,
          state: 'ready',
          error: null,
          credentials: oauth2Credentials(token, EXPIRES_IN),
        },
        authClientId: clientId,
      }),
    );
  }
}

function render(rows: RefreshRow[]): Section {
  const markdown = [
    `refreshDueSecrets (the refreshDue function's use case) on the embedded DynamoDB, from a new ` +
      `container (empty caches, after an unmeasured warm-up run of this process), refreshing ${SECRETS} oauth2 secrets that expire within the window, each with its own ` +
      `refresh token minted at a local OAuth server (oidc-provider in a child process, client_secret_basic, ` +
      `refresh tokens rotated). The secrets are spread over ${PROVIDERS} fresh servers (auth-clients), because ` +
      `oidc-provider's in-memory store keeps only about 1,000 entries and one server would forget some grants ` +
      `mid-run. Wall time includes reading the due index (4 shards). The providers share the machine's two cores ` +
      `with the service and the embedded DynamoDB; a real provider answers in tens to hundreds of milliseconds ` +
      `over the network, so there the rate is about concurrency ÷ provider latency.`,
    '',
    table(
      [
        'concurrency',
        'refreshed',
        'failed / skipped',
        'wall time',
        'secrets/s',
        'token requests',
        'DynamoDB per secret',
        'KMS in the run',
        'round trips in the run',
      ],
      rows.map((row) => [
        `${row.concurrency}${row.configured ? ' (configured: REFRESH_CONCURRENCY)' : ''}`,
        num(row.summary.refreshed),
        `${row.summary.failed} / ${row.summary.skipped}`,
        `${row.seconds.toFixed(2)} s`,
        num(row.summary.refreshed / row.seconds, 1),
        num(row.tokenRequests),
        (totalCalls(row.cost) / Math.max(1, row.summary.refreshed)).toFixed(2),
        String(row.cost.kmsCalls),
        calls(row.cost),
      ]),
    ),
  ].join('\n');
  return { title: 'Scheduled refresh rate', markdown, targets: [] };
}
