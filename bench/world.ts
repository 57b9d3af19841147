import { createAuthClient } from '../lib/directory/admin';
import type { Services } from '../lib/services';
import { createMember, createWorld, type TestUser, type World } from '../test/support/fixtures';
import { OAUTH_CLIENTS, type OAuthServer } from '../test/support/oauthServer';

/**
 * A tenant and workspace for the benchmark: the fixtures' world (an admin, an `oauth2` client
 * that points nowhere and an `other` client), plus an editor and, with an OAuth server, an
 * `oauth2` client at that server's token endpoint, so that refreshes really run.
 */
export interface BenchWorld extends World {
  readonly editor: TestUser;
  /** An oauth2 auth-client at the local OAuth server (client_secret_basic), when there is one. */
  readonly providerClientId: string;
}

export async function createBenchWorld(services: Services, oauth?: OAuthServer): Promise<BenchWorld> {
  const world = await createWorld(services);
  const editor = await createMember(services, world.workspaceId, { role: 'editor' });
  const providerClientId = oauth
    ? await createProviderClient(services, world.tenantId, oauth)
    : world.oauth2ClientId;
  return { ...world, editor, providerClientId };
}

/** An oauth2 auth-client of the tenant at `oauth`'s token endpoint, as its basic-client. */
export async function createProviderClient(
  services: Services,
  tenantId: string,
  oauth: OAuthServer,
): Promise<string> {
  const { id } = await createAuthClient(services, {
    tenantId,
    name: `Local OAuth server ${oauth.issuer}`,
    type: 'oauth2',
    tokenUrl: oauth.tokenUrl,
    clientId: OAUTH_CLIENTS.basic.clientId,
    clientSecret: OAUTH_CLIENTS.basic.secret,
    authMethod: 'client_secret_basic',
  });
  return id;
}

/** Runs `task` for each of `items`, `concurrency` at a time, in order of start. */
export async function inParallel<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}

/** Mints `count` refresh tokens at the OAuth server for the client the provider client uses. */
export function mintRefreshTokens(oauth: OAuthServer, count: number): Promise<string[]> {
  return inParallel(Array.from({ length: count }), 8, () =>
    oauth.mintRefreshToken(OAUTH_CLIENTS.basic.clientId),
  );
}
