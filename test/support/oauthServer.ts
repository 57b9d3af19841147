import { spawn, type ChildProcess } from 'node:child_process';
import { createAuthClient } from '../../lib/directory/admin';
import type { Services } from '../../lib/services';
import type { Socket } from 'node:net';
import { resolve } from 'node:path';

/**
 * A real OAuth 2.0 authorization server (oidc-provider, in its own process: it is ESM only and stays
 * out of jest's CommonJS module graph). See test/support/oauth-server.mjs for what it is configured with.
 *
 * Clients ({@link OAUTH_CLIENTS}: grants authorization_code + refresh_token, redirect_uri
 * http://127.0.0.1/cb):
 * - `basic-client`: client_secret_basic, secret {@link OAUTH_CLIENTS}.basic.secret (needs RFC 6749
 *   Appendix B form-encoding in the Authorization header); refresh tokens rotate.
 * - `post-client`: client_secret_post, secret `post-secret`; refresh tokens rotate.
 * - `norotate-client`: client_secret_basic, secret `norotate-secret`; refresh tokens are not rotated
 *   and a refresh response carries no refresh_token.
 *
 * and {@link OAUTH_CC_CLIENT} `cc-client`: client_secret_basic, secret `cc-secret`, grant
 * client_credentials only, scope `api:read api:write`. Clients with a redirect_uri chosen at run time
 * come from {@link OAuthServer.registerClient}.
 *
 * The authorization code flow runs through real login and consent pages (drive them with
 * test/support/oauthBrowser.ts) for the accounts in {@link OAUTH_ACCOUNTS}. oidc-provider issues a
 * refresh token in that flow only when the authorization request asked for `offline_access` together
 * with `prompt=consent` (without prompt=consent it silently drops offline_access) and the client may
 * use the refresh_token grant. The authorization response carries `iss` (RFC 9207), and a token
 * response to a request with the `openid` scope carries an id_token whose `iss` is {@link issuer} and
 * whose `aud` is the client id.
 */
export interface OAuthServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly issuer: string;
  /** `${issuer}/token` */
  readonly tokenUrl: string;
  /** `${issuer}/auth`, the authorization endpoint (as discovery announces it). */
  readonly authorizationUrl: string;
  /**
   * Registers a confidential client by RFC 7591 dynamic registration, for a redirect URI that is only
   * known at run time. Grants authorization_code + refresh_token; it authenticates at the token
   * endpoint with `authMethod` only (the strict check applies to it as to the static clients).
   */
  registerClient(options: RegisterClientOptions): Promise<OAuthClient>;
  /** Mints a Grant and a refresh token for it, as if the user had gone through the browser flow. */
  mintRefreshToken(clientId: string, accountId?: string, options?: MintOptions): Promise<string>;
  /**
   * Makes the next `count` token-endpoint requests fail (or, without count, all of them until
   * `setFault('none')`): 503 with a text body, 429 with Retry-After, no answer at all, or a success
   * without expires_in.
   */
  setFault(
    mode: OAuthFaultMode,
    count?: number,
    options?: { retryAfter?: number; delayMs?: number },
  ): Promise<void>;
  /** Token-endpoint requests seen since start or the last resetStats(), faulted ones included. */
  stats(): Promise<OAuthServerStats>;
  resetStats(): Promise<void>;
  /** Stops the server (by the PID this helper started) and waits for it to exit. */
  stop(): Promise<void>;
}

export type OAuthFaultMode = 'none' | '503' | '429' | 'hang' | 'slow' | 'omit-expires-in';

export interface OAuthServerStats {
  /** Every POST to the token endpoint. */
  tokenRequests: number;
  /** Those with grant_type=refresh_token. */
  refreshGrants: number;
  /** Those with grant_type=authorization_code. */
  authorizationCodeGrants: number;
  /** Those with grant_type=client_credentials. */
  clientCredentialsGrants: number;
}

export type OAuthClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** A confidential client of the OAuth server: what a service needs to authenticate as it. */
export interface OAuthClient {
  readonly clientId: string;
  readonly secret: string;
  readonly method: OAuthClientAuthMethod;
}

/**
 * An auth-client's attributes (as the API names them) for connecting accounts at `oauth` as
 * `provider`, sending users back to `returnOrigin`.
 */
export function connectClientAttributes(oauth: OAuthServer, provider: OAuthClient, returnOrigin: string) {
  return {
    token_url: oauth.tokenUrl,
    client_id: provider.clientId,
    client_secret: provider.secret,
    auth_method: provider.method,
    // oidc-provider issues a refresh token for offline_access only with prompt=consent (as Google
    // does only with access_type=offline and prompt=consent).
    scopes: ['openid', 'offline_access'],
    authorization_url: oauth.authorizationUrl,
    authorize_params: { prompt: 'consent' },
    allowed_return_urls: [returnOrigin],
  };
}

export interface RegisterClientOptions {
  /** Where the provider may send the browser back to, e.g. `http://127.0.0.1:<port>/v2/oauth/callback`. */
  redirectUris: string[];
  authMethod: OAuthClientAuthMethod;
  /**
   * The scopes the client may ask for, space-separated (oidc-provider refuses others among the ones it
   * knows: openid, offline_access, api:read, api:write). Default: no restriction.
   */
  scope?: string;
  /** Default 'registered-client'. */
  clientName?: string;
}

export interface MintOptions {
  /** Default 'openid offline_access'. */
  scope?: string;
  /** Lifetime of this refresh token in seconds (default: the server's, 14 days). */
  expiresIn?: number;
}

export interface OAuthServerOptions {
  /** Default: a free one. */
  port?: number;
  /** Access token lifetime in seconds (expires_in), default 3600. */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds, default 14 days. */
  refreshTokenTtl?: number;
  /**
   * On by default: 401 invalid_client when a client authenticates with the method it is not
   * registered for, or sends a Basic header whose id/secret were not form-urlencoded. oidc-provider
   * alone accepts both.
   */
  strictClientAuth?: boolean;
  /** Default 60 000 ms: on a busy 2-core CI machine a cold start has taken over 20 s. */
  startTimeoutMs?: number;
}

/** The static clients that hold refresh tokens (authorization_code + refresh_token). */
export const OAUTH_CLIENTS = {
  basic: { clientId: 'basic-client', secret: 'basic secret:with/odd&chars', method: 'client_secret_basic' },
  post: { clientId: 'post-client', secret: 'post-secret', method: 'client_secret_post' },
  norotate: { clientId: 'norotate-client', secret: 'norotate-secret', method: 'client_secret_basic' },
} as const satisfies Record<string, OAuthClient>;

/**
 * The client_credentials client. Not in {@link OAUTH_CLIENTS}: suites iterate over those as clients
 * that hold refresh tokens, which this one never does.
 */
export const OAUTH_CC_CLIENT = {
  clientId: 'cc-client',
  secret: 'cc-secret',
  method: 'client_secret_basic',
  /** What it may ask for; a request without `scope` gets a token without one. */
  scope: 'api:read api:write',
} as const satisfies OAuthClient & { scope: string };

/** Who can sign in on the server's login page; the username is the account id (the `sub`). */
export const OAUTH_ACCOUNTS = {
  alice: { username: 'alice', password: 'wonderland' },
  bob: { username: 'bob', password: 'builder' },
} as const;

const SCRIPT = resolve(
  typeof __dirname === 'string' ? __dirname : resolve('test/support'),
  'oauth-server.mjs',
);

export async function startOAuthServer(options: OAuthServerOptions = {}): Promise<OAuthServer> {
  const env: NodeJS.ProcessEnv = { ...process.env, EXIT_ON_STDIN_END: '1' };
  env.PORT = String(options.port ?? 0);
  if (options.accessTokenTtl !== undefined) env.ACCESS_TOKEN_TTL = String(options.accessTokenTtl);
  if (options.refreshTokenTtl !== undefined) env.REFRESH_TOKEN_TTL = String(options.refreshTokenTtl);
  if (options.strictClientAuth === false) env.STRICT_CLIENT_AUTH = '0';

  // stdin stays an open pipe: if this process dies without stop(), the server sees it end and exits.
  const child = spawn(process.execPath, [SCRIPT], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20_000);
  });

  let ready: ReadyLine;
  try {
    ready = await waitForReady(child, options.startTimeoutMs ?? 60_000, () => stderr);
  } catch (error) {
    await terminate(child);
    throw error;
  }
  const { issuer, tokenUrl, authorizationUrl, registrationUrl } = ready;
  // A suite that forgets stop() must not keep jest alive: nothing here holds its event loop open, and
  // when jest exits, the server sees its stdin end and exits too.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr])
    (stream as Partial<Socket> | null)?.unref?.();

  const control = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${issuer}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`test OAuth server ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  return {
    issuer,
    tokenUrl,
    authorizationUrl,
    registerClient: async ({ redirectUris, authMethod, scope, clientName = 'registered-client' }) => {
      const response = await fetch(registrationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: clientName,
          redirect_uris: redirectUris,
          response_types: ['code'],
          grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: authMethod,
          ...(scope === undefined ? {} : { scope }),
        }),
      });
      const text = await response.text();
      if (response.status !== 201) {
        throw new Error(`test OAuth server refused the client registration: ${response.status} ${text}`);
      }
      const registered = JSON.parse(text) as { client_id: string; client_secret: string };
      return { clientId: registered.client_id, secret: registered.client_secret, method: authMethod };
    },
    mintRefreshToken: async (clientId, accountId = 'user-1', mint = {}) => {
      const { refresh_token } = await control<{ refresh_token: string }>('POST', '/test/mint', {
        clientId,
        accountId,
        ...mint,
      });
      return refresh_token;
    },
    setFault: async (mode, count, fault = {}) => {
      await control('POST', '/test/fault', { mode, ...(count === undefined ? {} : { count }), ...fault });
    },
    stats: () => control<OAuthServerStats>('GET', '/test/stats'),
    resetStats: async () => {
      await control('POST', '/test/reset-stats', {});
    },
    stop: () => terminate(child),
  };
}

/** The line oauth-server.mjs prints once it listens. */
interface ReadyLine {
  issuer: string;
  tokenUrl: string;
  authorizationUrl: string;
  registrationUrl: string;
}

function waitForReady(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<ReadyLine> {
  return new Promise((resolveReady, reject) => {
    let stdout = '';
    const fail = (message: string) => {
      cleanup();
      reject(new Error(`${message}\n--- stdout ---\n${stdout}\n--- stderr ---\n${stderr()}`));
    };
    const onData = (chunk: Buffer) => {
      stdout += chunk.toString();
      for (const line of stdout.split('\n').slice(0, -1)) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch {
          continue; // not ours (e.g. an oidc-provider notice)
        }
        if (isReady(parsed)) {
          cleanup();
          // Keep draining stdout so that the child never blocks on a full pipe.
          child.stdout?.resume();
          resolveReady({
            issuer: parsed.issuer,
            tokenUrl: parsed.tokenUrl,
            authorizationUrl: parsed.authorizationUrl,
            registrationUrl: parsed.registrationUrl,
          });
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`test OAuth server exited before it was ready (code ${code}, signal ${signal})`);
    const onError = (error: Error) => fail(`test OAuth server could not be started: ${error.message}`);
    const timer = setTimeout(() => fail(`test OAuth server was not ready within ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function isReady(value: unknown): value is ReadyLine & { ready: true } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.ready === true &&
    (['issuer', 'tokenUrl', 'authorizationUrl', 'registrationUrl'] as const).every(
      (key) => typeof record[key] === 'string',
    )
  );
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  signal(pid, 'SIGTERM');
  const timer = setTimeout(() => signal(pid, 'SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/**
 * Registers one of the OAuth server's clients (a static one by its {@link OAUTH_CLIENTS} key, or any
 * {@link OAuthClient}, e.g. {@link OAUTH_CC_CLIENT} or one from registerClient) as an oauth2
 * auth-client of `tenantId`, with the id, secret and authentication method the server expects of it.
 */
export async function registerOAuthClient(
  services: Services,
  tenantId: string,
  oauth: Pick<OAuthServer, 'tokenUrl'>,
  kind: keyof typeof OAUTH_CLIENTS | OAuthClient,
  extra: { defaultExpiresIn?: number; refreshIntervalSeconds?: number } = {},
): Promise<string> {
  const client = typeof kind === 'string' ? OAUTH_CLIENTS[kind] : kind;
  const { id } = await createAuthClient(services, {
    tenantId,
    name: client.clientId,
    type: 'oauth2',
    tokenUrl: oauth.tokenUrl,
    clientId: client.clientId,
    clientSecret: client.secret,
    authMethod: client.method,
    ...extra,
  });
  return id;
}
