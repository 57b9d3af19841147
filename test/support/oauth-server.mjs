// A real OAuth 2.0 authorization server (oidc-provider) for the test suite, run as its own process:
//
//   node test/support/oauth-server.mjs        (PORT=<n> to pick the port; a free one otherwise)
//
// oidc-provider is ESM only, so it is kept out of jest's CommonJS module graph: the jest helper
// (test/support/oauthServer.ts) spawns this script and talks to it over HTTP. Once listening it prints
// one line of JSON on stdout:
//   {"ready":true,"issuer":"http://127.0.0.1:<port>","tokenUrl":"…/token","authorizationUrl":"…/auth",
//    "registrationUrl":"…/reg"}
//
// Environment (all optional):
//   PORT                    port to listen on (default 0: a free one), always on 127.0.0.1
//   ACCESS_TOKEN_TTL        access token lifetime in seconds (default 3600), client_credentials too
//   REFRESH_TOKEN_TTL       refresh token lifetime in seconds (default 14 days)
//   STRICT_CLIENT_AUTH=0    accept what oidc-provider itself accepts (see "strict client authentication")
//   EXIT_ON_STDIN_END=1     exit when stdin closes (the jest helper sets this so that a crashed test
//                           runner does not leave this process behind)
//
// The browser side (authorization code flow): GET /auth redirects to /interaction/<uid>, a plain HTML
// login page (form id "login": username, password; accounts in ACCOUNTS below), then a consent page
// (form id "allow" and form id "deny"). Allow grants every scope asked for; Deny ends the request with
// error=access_denied at the client's redirect_uri. The forms are plain <form method="post"> with
// <input name=…>, so that test/support/oauthBrowser.ts can drive them without a browser.
//
// Refresh tokens in the code flow follow oidc-provider's defaults: one is issued only when the granted
// scope has offline_access and the client may use the refresh_token grant, and oidc-provider drops
// offline_access from an authorization request unless that request also says prompt=consent.
//
// Clients: the static ones below, plus any registered at /reg (RFC 7591 dynamic client registration,
// open: no initial access token) — that is how a test gets a client whose redirect_uri is only known
// at run time.
//
// Test-only control endpoints, answered before oidc-provider sees the request:
//   POST /test/mint         {"clientId","accountId"?,"scope"?,"expiresIn"?} -> {"refresh_token"}
//   POST /test/fault        {"mode":"none"|"503"|"429"|"hang"|"slow"|"omit-expires-in","count"?,"retryAfter"?,"delayMs"?}
//                           (applies to every token request, whatever its grant_type)
//   GET  /test/stats        -> {"tokenRequests","refreshGrants","authorizationCodeGrants","clientCredentialsGrants"}
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
const AUTHORIZATION_PATH = '/auth';
const REGISTRATION_PATH = '/reg';
const MAX_BODY = 56 * 1024;
/** /interaction/<uid> (the page) and /interaction/<uid>/<action> (what its forms post to). */
const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|confirm|abort))?$/;
/** Which /test/stats counter a token request of each grant_type adds to (besides tokenRequests). */
const GRANT_COUNTERS = {
  refresh_token: 'refreshGrants',
  authorization_code: 'authorizationCodeGrants',
  client_credentials: 'clientCredentialsGrants',
};
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
  {
    // A machine client: no browser, no user, no refresh token.
    client_id: 'cc-client',
    client_secret: 'cc-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'api:read api:write',
  },
];
/** client_id -> token_endpoint_auth_method, for the strict check; registered clients are added as they come. */
const authMethodOf = new Map(clients.map((client) => [client.client_id, client.token_endpoint_auth_method]));
const NO_ROTATION = new Set(['norotate-client']);

/** Who can sign in on the login page (username -> password); the username is the account id (sub). */
const ACCOUNTS = new Map([
  ['alice', 'wonderland'],
  ['bob', 'builder'],
]);

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
  stats: emptyStats(),
};

function emptyStats() {
  return { tokenRequests: 0, refreshGrants: 0, authorizationCodeGrants: 0, clientCredentialsGrants: 0 };
}

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

process.stdout.write(
  `${JSON.stringify({
    ready: true,
    issuer,
    tokenUrl: `${issuer}${TOKEN_PATH}`,
    authorizationUrl: `${issuer}${AUTHORIZATION_PATH}`,
    registrationUrl: `${issuer}${REGISTRATION_PATH}`,
  })}\n`,
);

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
    // Listed scopes are the ones a client's `scope` metadata can restrict; api:* are for client_credentials.
    scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
    routes: { token: TOKEN_PATH, authorization: AUTHORIZATION_PATH, registration: REGISTRATION_PATH },
    // Our own pages (see interaction() below) instead of oidc-provider's development-only ones.
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      // Open registration (no initial access token): tests register clients with their own redirect_uris.
      registration: { enabled: true },
    },
    // Accounts are the ACCOUNTS that sign in on the login page, or whatever /test/mint was given.
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
    // issueRefreshToken is oidc-provider's default: only when the granted scope has offline_access and the
    // client may use the refresh_token grant (refresh grants themselves rotate by rotateRefreshToken).
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

  instance.on('registration_create.success', (_ctx, client) => {
    authMethodOf.set(client.clientId, client.clientAuthMethod);
  });

  return instance;
}

async function handle(req, res) {
  const path = new URL(req.url ?? '/', issuer).pathname;

  if (path.startsWith('/test/')) return control(req, res, path);

  const interactionPath = INTERACTION_PATH.exec(path);
  if (interactionPath) return interaction(req, res, interactionPath[1], interactionPath[2]);

  if (req.method === 'POST' && path === TOKEN_PATH) {
    // Read the form here so that grant_type and client authentication can be looked at before
    // oidc-provider runs; it then takes the body from req.body.
    const raw = await readBody(req);
    req.body = raw;
    const params = new URLSearchParams(raw.toString('utf8'));
    state.stats.tokenRequests += 1;
    const counter = GRANT_COUNTERS[params.get('grant_type') ?? ''];
    if (counter) state.stats[counter] += 1;

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

/**
 * The login and consent pages, and what their forms post to. oidc-provider finds the interaction by its
 * cookie (path /interaction/<uid>); the uid in the path must be that interaction's.
 */
async function interaction(req, res, uid, action) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (error) {
    // No or expired interaction cookie: what a browser sees after a restart or a long pause.
    return sendHtml(res, 400, errorPage(`The sign-in request is no longer valid (${error.message}).`));
  }
  if (details.uid !== uid)
    return sendHtml(res, 400, errorPage('This page belongs to another sign-in request.'));
  const { prompt, params } = details;

  if (action === undefined) {
    if (req.method !== 'GET') return sendHtml(res, 405, errorPage('Use GET for this page.'));
    if (prompt.name === 'login') return sendHtml(res, 200, loginPage(uid, params));
    if (prompt.name === 'consent') return sendHtml(res, 200, consentPage(uid, params));
    return sendHtml(res, 501, errorPage(`No page for the ${prompt.name} prompt.`));
  }

  if (req.method !== 'POST') return sendHtml(res, 405, errorPage('Use POST for this action.'));
  const form = new URLSearchParams((await readBody(req)).toString('utf8'));

  switch (action) {
    case 'login': {
      if (prompt.name !== 'login')
        return sendHtml(res, 400, errorPage('Signing in is not what this request needs now.'));
      const username = form.get('username') ?? '';
      if (!ACCOUNTS.has(username) || ACCOUNTS.get(username) !== form.get('password')) {
        // The same form again, the interaction untouched: the user may try once more.
        return sendHtml(res, 200, loginPage(uid, params, { username, error: 'Wrong username or password.' }));
      }
      return provider.interactionFinished(
        req,
        res,
        { login: { accountId: username } },
        { mergeWithLastSubmission: false },
      );
    }

    case 'confirm': {
      if (prompt.name !== 'consent')
        return sendHtml(res, 400, errorPage('There is nothing to consent to now.'));
      // As oidc-provider's own development pages do: grant what is missing, on the grant the request
      // already has (a repeated consent) or a new one.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
      const missing = prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      return provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
    }

    case 'abort':
      // oidc-provider turns this into error=access_denied&error_description=…&state=… at the redirect_uri.
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user denied the authorization request.' },
        { mergeWithLastSubmission: false },
      );

    default:
      return sendHtml(res, 404, errorPage('No such action.'));
  }
}

function loginPage(uid, params, { username = '', error } = {}) {
  return htmlPage(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <code>${escapeHtml(params.client_id)}</code></p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>\n` : ''}<form id="login" method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Username <input name="username" value="${escapeHtml(username)}" autocomplete="username"></label>
<label>Password <input name="password" type="password" value="" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

function consentPage(uid, params) {
  const scopes = String(params.scope ?? '')
    .split(' ')
    .filter(Boolean)
    .map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`)
    .join('\n');
  return htmlPage(
    'Authorize',
    `<h1>Authorize <code>${escapeHtml(params.client_id)}</code></h1>
<p>This application asks for:</p>
<ul>
${scopes}
</ul>
<form id="allow" method="post" action="/interaction/${escapeHtml(uid)}/confirm">
<button type="submit">Allow</button>
</form>
<form id="deny" method="post" action="/interaction/${escapeHtml(uid)}/abort">
<button type="submit">Deny</button>
</form>`,
  );
}

function errorPage(message) {
  return htmlPage('Error', `<h1>Error</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`);
}

function htmlPage(title, body) {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body>
${body}
</body>
</html>
`;
}

function escapeHtml(value) {
  return String(value).replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char],
  );
}

function sendHtml(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
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
      state.stats = emptyStats();
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
