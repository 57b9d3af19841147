// A real OAuth 2.0 authorization server (oidc-provider) for the test suite, run as its own process:
//
//   node test/support/oauth-server.mjs        (PORT=<n> to pick the port; a free one otherwise)
//
// oidc-provider is ESM only, so it is kept out of jest's CommonJS module graph: the jest helper
// (test/support/oauthServer.ts) spawns this script and talks to it over HTTP. Once listening it prints
// one line of JSON on stdout: {"ready":true,"issuer":"http://127.0.0.1:<port>","tokenUrl":"…/token"}.
//
// Environment (all optional):
//   PORT                    port to listen on (default 0: a free one), always on 127.0.0.1
//   ACCESS_TOKEN_TTL        access token lifetime in seconds (default 3600)
//   REFRESH_TOKEN_TTL       refresh token lifetime in seconds (default 14 days)
//   STRICT_CLIENT_AUTH=0    accept what oidc-provider itself accepts (see "strict client authentication")
//   EXIT_ON_STDIN_END=1     exit when stdin closes (the jest helper sets this so that a crashed test
//                           runner does not leave this process behind)
//
// Test-only control endpoints, answered before oidc-provider sees the request:
//   POST /test/mint         {"clientId","accountId"?,"scope"?,"expiresIn"?} -> {"refresh_token"}
//   POST /test/fault        {"mode":"none"|"503"|"429"|"hang"|"slow"|"omit-expires-in","count"?,"retryAfter"?,"delayMs"?}
//   GET  /test/stats        -> {"tokenRequests","refreshGrants"}
//   POST /test/reset-stats
//
// Strict client authentication (on unless STRICT_CLIENT_AUTH=0): oidc-provider accepts a client's
// secret through either the Authorization header or the form body whatever the client registered, and
// it accepts a Basic header whose id and secret were not form-urlencoded (RFC 6749 Appendix B) as long
// as they contain no "%" or "+". This harness answers 401 invalid_client to both, as strict production
// servers do, so that a client that gets either wrong fails its tests here.

import { Buffer } from 'node:buffer';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';
import { URL, URLSearchParams } from 'node:url';

const HOST = '127.0.0.1';
const TOKEN_PATH = '/token';
const MAX_BODY = 56 * 1024;
const accessTokenTtl = positiveInt(process.env.ACCESS_TOKEN_TTL, 3600);
const refreshTokenTtl = positiveInt(process.env.REFRESH_TOKEN_TTL, 14 * 24 * 3600);
const strictClientAuth = process.env.STRICT_CLIENT_AUTH !== '0';

const common = {
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/cb'],
};
const clients = [
  {
    ...common,
    client_id: 'basic-client',
    client_secret: 'basic secret:with/odd&chars',
    token_endpoint_auth_method: 'client_secret_basic',
  },
  {
    ...common,
    client_id: 'post-client',
    client_secret: 'post-secret',
    token_endpoint_auth_method: 'client_secret_post',
  },
  {
    ...common,
    client_id: 'norotate-client',
    client_secret: 'norotate-secret',
    token_endpoint_auth_method: 'client_secret_basic',
  },
];
const authMethodOf = new Map(clients.map((client) => [client.client_id, client.token_endpoint_auth_method]));
const NO_ROTATION = new Set(['norotate-client']);

// oidc-provider's warnings that are expected in this setup: Node 20 is below its supported runtime, the
// in-memory adapter is the point of a test server, and we hand it an already-read token request body.
const quietWarnings = [
  /Unsupported runtime/,
  /in-memory adapter is used/,
  /already parsed request body detected/,
];
const warn = console.warn.bind(console);
console.warn = (...args) => {
  const text = args.map(String).join(' ');
  if (!quietWarnings.some((pattern) => pattern.test(text))) warn(...args);
};
// Imported only now, so that the filter above also covers the warnings it prints while loading.
const { default: Provider } = await import('oidc-provider');

/** The test controls' state. */
const state = {
  fault: { mode: 'none', remaining: Infinity, retryAfter: 1, delayMs: 1000 },
  stats: { tokenRequests: 0, refreshGrants: 0 },
};

const server = createServer();
server.on('request', (req, res) => {
  handle(req, res).catch((error) => {
    warn('oauth-server: request failed', error);
    if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: String(error) });
    else res.destroy();
  });
});

await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(positiveInt(process.env.PORT, 0, true), HOST, resolve);
});
const { port } = server.address();
const issuer = `http://${HOST}:${port}`;
const provider = createProvider(issuer);
const providerCallback = provider.callback();

process.stdout.write(`${JSON.stringify({ ready: true, issuer, tokenUrl: `${issuer}${TOKEN_PATH}` })}\n`);

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
if (process.env.EXIT_ON_STDIN_END === '1') {
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();
}

function createProvider(issuerUrl) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' };

  const instance = new Provider(issuerUrl, {
    clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'offline_access'],
    routes: { token: TOKEN_PATH },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
    },
    // Accounts are whatever /test/mint was given.
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    issueRefreshToken: () => true,
    rotateRefreshToken: (ctx) => !NO_ROTATION.has(ctx.oidc.client?.clientId),
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      ClientCredentials: accessTokenTtl,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Interaction: 3600,
      Session: refreshTokenTtl,
    },
  });

  // Runs around oidc-provider's own routing, on the requests that reach it.
  instance.use(async (ctx, next) => {
    await next();
    if (ctx.method !== 'POST' || ctx.path !== TOKEN_PATH) return;
    const body = ctx.body;
    if (ctx.status !== 200 || !body || typeof body !== 'object') return;
    // oidc-provider answers a refresh without rotation with the same refresh_token again; RFC 6749 §6
    // allows that, but many providers omit it instead, which is what a client must handle.
    if (ctx.oidc?.params?.grant_type === 'refresh_token' && NO_ROTATION.has(ctx.oidc.client?.clientId)) {
      delete body.refresh_token;
    }
    if (ctx.req.omitExpiresIn) delete body.expires_in;
  });

  return instance;
}

async function handle(req, res) {
  const path = new URL(req.url ?? '/', issuer).pathname;

  if (path.startsWith('/test/')) return control(req, res, path);

  if (req.method === 'POST' && path === TOKEN_PATH) {
    // Read the form here so that grant_type and client authentication can be looked at before
    // oidc-provider runs; it then takes the body from req.body.
    const raw = await readBody(req);
    req.body = raw;
    const params = new URLSearchParams(raw.toString('utf8'));
    state.stats.tokenRequests += 1;
    if (params.get('grant_type') === 'refresh_token') state.stats.refreshGrants += 1;

    const fault = takeFault();
    switch (fault) {
      case '503':
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
        res.end('Service Unavailable (injected by the test OAuth server)\n');
        return;
      case '429':
        res.writeHead(429, {
          'content-type': 'text/plain; charset=utf-8',
          'cache-control': 'no-store',
          'retry-after': String(state.fault.retryAfter),
        });
        res.end('Too Many Requests (injected by the test OAuth server)\n');
        return;
      case 'hang':
        // Never answer; forget the request once the client gives up on it.
        await new Promise((resolve) => res.once('close', resolve));
        return;
      case 'slow':
        // Answer normally, but only after a while: a refresh that is still in flight.
        await new Promise((resolve) => setTimeout(resolve, state.fault.delayMs));
        break;
      case 'omit-expires-in':
        req.omitExpiresIn = true;
        break;
      default:
        break;
    }

    if (strictClientAuth) {
      const problem = clientAuthProblem(req.headers.authorization, params);
      if (problem) {
        res.writeHead(401, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          'www-authenticate': `Basic realm="${issuer}"`,
        });
        res.end(JSON.stringify({ error: 'invalid_client', error_description: problem }));
        return;
      }
    }
  }

  return providerCallback(req, res);
}

/** Which fault, if any, applies to this token request (and counts it down). */
function takeFault() {
  const { fault } = state;
  if (fault.mode === 'none') return 'none';
  const mode = fault.mode;
  fault.remaining -= 1;
  if (fault.remaining <= 0) {
    fault.mode = 'none';
    fault.remaining = Infinity;
  }
  return mode;
}

// What RFC 6749 Appendix B encoding (application/x-www-form-urlencoded) can produce, plus what
// encodeURIComponent leaves alone (!'()~), which decodes to the same value.
const FORM_ENCODED = /^(?:[A-Za-z0-9\-._~*!'()+]|%[0-9A-Fa-f]{2})*$/;

function clientAuthProblem(authorization, params) {
  const bodySecret = params.has('client_secret');
  if (authorization !== undefined) {
    const match = /^basic ([A-Za-z0-9+/=]+)$/i.exec(authorization.trim());
    if (!match || bodySecret) return undefined; // oidc-provider's own errors cover these
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon === -1) return undefined;
    const [id, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    if (!FORM_ENCODED.test(id) || !FORM_ENCODED.test(secret)) {
      return 'client_id and client_secret in the Authorization header must be form-urlencoded before base64 (RFC 6749 Appendix B)';
    }
    const clientId = safeFormDecode(id);
    if (authMethodOf.get(clientId) === 'client_secret_post') {
      return `client ${clientId} is registered for client_secret_post, not client_secret_basic`;
    }
    return undefined;
  }
  if (bodySecret) {
    const clientId = params.get('client_id') ?? '';
    if (authMethodOf.get(clientId) === 'client_secret_basic') {
      return `client ${clientId} is registered for client_secret_basic, not client_secret_post`;
    }
  }
  return undefined;
}

function safeFormDecode(value) {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return value;
  }
}

async function control(req, res, path) {
  if (req.method === 'GET' && path === '/test/stats') return sendJson(res, 200, state.stats);

  if (req.method !== 'POST') return sendJson(res, 405, { error: 'method_not_allowed' });
  const input = await readJson(req);
  if (input === undefined) return sendJson(res, 400, { error: 'invalid JSON body' });

  switch (path) {
    case '/test/reset-stats':
      state.stats = { tokenRequests: 0, refreshGrants: 0 };
      return sendJson(res, 200, state.stats);

    case '/test/fault': {
      const modes = ['none', '503', '429', 'hang', 'slow', 'omit-expires-in'];
      const mode = String(input.mode ?? 'none');
      if (!modes.includes(mode))
        return sendJson(res, 400, { error: `mode must be one of ${modes.join(', ')}` });
      const count = input.count;
      if (count !== undefined && count !== null && !(Number.isInteger(count) && count > 0)) {
        return sendJson(res, 400, { error: 'count must be a positive integer' });
      }
      state.fault = {
        mode,
        remaining: mode === 'none' || count === undefined || count === null ? Infinity : count,
        retryAfter: Number.isInteger(input.retryAfter) ? input.retryAfter : 1,
        delayMs: Number.isInteger(input.delayMs) ? input.delayMs : 1000,
      };
      return sendJson(res, 200, { mode, count: count ?? null });
    }

    case '/test/mint': {
      const clientId = input.clientId;
      const accountId = input.accountId ?? 'user-1';
      const scope = input.scope ?? 'openid offline_access';
      if (typeof clientId !== 'string' || typeof accountId !== 'string' || typeof scope !== 'string') {
        return sendJson(res, 400, { error: 'clientId (and accountId, scope if given) must be strings' });
      }
      const client = await provider.Client.find(clientId);
      if (!client) return sendJson(res, 404, { error: `unknown client ${clientId}` });

      const grant = new provider.Grant({ accountId, clientId });
      grant.addOIDCScope(scope);
      const grantId = await grant.save();
      const refreshToken = new provider.RefreshToken({
        accountId,
        client,
        grantId,
        scope,
        gty: 'authorization_code',
        authTime: Math.floor(Date.now() / 1000),
        expiresWithSession: false,
        ...(Number.isInteger(input.expiresIn) && input.expiresIn > 0 ? { expiresIn: input.expiresIn } : {}),
      });
      const value = await refreshToken.save();
      return sendJson(res, 200, { refresh_token: value });
    }

    default:
      return sendJson(res, 404, { error: `no test endpoint ${path}` });
  }
}

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

async function readJson(req) {
  const raw = (await readBody(req)).toString('utf8');
  if (!raw.trim()) return {};
  try {
    const value = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function positiveInt(value, fallback, allowZero = false) {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) {
    throw new Error(`expected a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  }
  return number;
}
