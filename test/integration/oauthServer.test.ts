// Proves the OAuth server harness itself, with plain fetch (and the test browser) and no project code.
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomState } from 'oauth4webapi';
import { OAuthBrowser, requireForm } from '../support/oauthBrowser';
import {
  OAUTH_ACCOUNTS,
  OAUTH_CC_CLIENT,
  OAUTH_CLIENTS,
  startOAuthServer,
  type OAuthClient,
  type OAuthServer,
} from '../support/oauthServer';

/** RFC 6749 Appendix B: application/x-www-form-urlencoded, as used inside the Basic header. */
function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString('base64')}`;
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
  token_type?: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** The claims of a JWT, unverified: the test only reads what the provider put in. */
function jwtClaims(jwt: string): Record<string, unknown> {
  const payload = jwt.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

// Where registered clients are sent back to. Nothing listens there: the browser stops at the redirect.
const CALLBACK = 'http://127.0.0.1:9/cb';

describe('test OAuth server (oidc-provider in a child process)', () => {
  let server: OAuthServer;

  beforeAll(async () => {
    server = await startOAuthServer();
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
  });

  afterEach(async () => {
    await server.setFault('none');
  });

  function refresh(
    refreshToken: string,
    client: { clientId: string; secret: string; method: string } = OAUTH_CLIENTS.basic,
    init: { signal?: AbortSignal; authorization?: string } = {},
  ): Promise<Response> {
    return tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }, client, init);
  }

  /** A token endpoint request authenticated as `client` registered. */
  function tokenRequest(
    params: Record<string, string>,
    client: { clientId: string; secret: string; method: string },
    init: { signal?: AbortSignal; authorization?: string } = {},
  ): Promise<Response> {
    const form = new URLSearchParams(params);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    if (client.method === 'client_secret_post') {
      form.set('client_id', client.clientId);
      form.set('client_secret', client.secret);
    } else {
      headers.authorization = init.authorization ?? basicAuth(client.clientId, client.secret);
    }
    return fetch(server.tokenUrl, {
      method: 'POST',
      headers,
      body: form,
      ...(init.signal ? { signal: init.signal } : {}),
    });
  }

  async function json(response: Response): Promise<TokenResponse> {
    return (await response.json()) as TokenResponse;
  }

  it('announces an issuer on 127.0.0.1 and its token, authorization and registration endpoints', async () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.tokenUrl).toBe(`${server.issuer}/token`);
    expect(server.authorizationUrl).toBe(`${server.issuer}/auth`);
    const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      token_endpoint: string;
      authorization_endpoint: string;
      registration_endpoint: string;
      code_challenge_methods_supported: string[];
      grant_types_supported: string[];
      authorization_response_iss_parameter_supported: boolean;
    };
    expect(discovery.issuer).toBe(server.issuer);
    expect(discovery.token_endpoint).toBe(server.tokenUrl);
    expect(discovery.authorization_endpoint).toBe(server.authorizationUrl);
    expect(discovery.registration_endpoint).toBe(`${server.issuer}/reg`);
    expect(discovery.code_challenge_methods_supported).toEqual(['S256']);
    expect(discovery.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token', 'client_credentials']),
    );
    // So a client (oauth4webapi's validateAuthResponse among them) insists on iss in the redirect.
    expect(discovery.authorization_response_iss_parameter_supported).toBe(true);
  });

  it('refreshes with client_secret_basic, rotates the refresh token and rejects the old one', async () => {
    const minted = await server.mintRefreshToken('basic-client', 'user-1');

    const response = await refresh(minted);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.token_type).toBe('Bearer');
    expect(body.expires_in).toBe(3600);
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(minted);

    const replay = await refresh(minted);
    expect(replay.status).toBe(400);
    expect((await json(replay)).error).toBe('invalid_grant');
  });

  it('revokes the whole grant when a rotated refresh token is replayed', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    const rotated = (await json(await refresh(minted))).refresh_token as string;
    expect((await refresh(minted)).status).toBe(400);

    const afterReplay = await refresh(rotated);
    expect(afterReplay.status).toBe(400);
    expect((await json(afterReplay)).error).toBe('invalid_grant');
  });

  it('refreshes with client_secret_post', async () => {
    const minted = await server.mintRefreshToken('post-client');
    const response = await refresh(minted, OAUTH_CLIENTS.post);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body.refresh_token).not.toBe(minted);
  });

  it('does not rotate for norotate-client: no refresh_token in the response, the token works again', async () => {
    const minted = await server.mintRefreshToken('norotate-client');
    for (let i = 0; i < 2; i += 1) {
      const response = await refresh(minted, OAUTH_CLIENTS.norotate);
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body.access_token).toEqual(expect.any(String));
      expect(body.expires_in).toBe(3600);
      expect(body).not.toHaveProperty('refresh_token');
    }
  });

  it('rejects client authentication that oidc-provider alone would let through', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    const { clientId, secret } = OAUTH_CLIENTS.basic;

    // id:secret not form-urlencoded before base64
    const naive = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
    const notEncoded = await refresh(minted, OAUTH_CLIENTS.basic, { authorization: naive });
    expect(notEncoded.status).toBe(401);
    expect((await json(notEncoded)).error).toBe('invalid_client');

    // a client_secret_basic client sending its secret in the body
    const wrongMethod = await refresh(minted, { ...OAUTH_CLIENTS.basic, method: 'client_secret_post' });
    expect(wrongMethod.status).toBe(401);
    expect((await json(wrongMethod)).error).toBe('invalid_client');

    // the token was not used up by the rejected requests
    expect((await refresh(minted)).status).toBe(200);
  });

  it('rejects a wrong client secret', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    const response = await refresh(minted, { ...OAUTH_CLIENTS.basic, secret: 'wrong' });
    expect(response.status).toBe(401);
    expect((await json(response)).error).toBe('invalid_client');
  });

  it('fault 503 (count 1) answers 503 with a text body once, then the refresh succeeds', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    await server.setFault('503', 1);

    const failed = await refresh(minted);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await failed.text()).toMatch(/Service Unavailable/);

    const ok = await refresh(minted);
    expect(ok.status).toBe(200);
    expect((await json(ok)).access_token).toEqual(expect.any(String));
  });

  it('fault 429 answers with Retry-After until reset', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    await server.setFault('429', undefined, { retryAfter: 7 });
    for (let i = 0; i < 2; i += 1) {
      const limited = await refresh(minted);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('7');
      await limited.text();
    }
    await server.setFault('none');
    expect((await refresh(minted)).status).toBe(200);
  });

  it('fault hang never answers, so the caller must time out', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    await server.setFault('hang', 1);
    const started = Date.now();
    await expect(
      refresh(minted, OAUTH_CLIENTS.basic, { signal: AbortSignal.timeout(500) }),
    ).rejects.toMatchObject({
      name: 'TimeoutError',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);

    // the hung request consumed nothing: the token still works
    expect((await refresh(minted)).status).toBe(200);
  });

  it('fault omit-expires-in answers a successful refresh without expires_in', async () => {
    const minted = await server.mintRefreshToken('basic-client');
    await server.setFault('omit-expires-in', 1);
    const response = await refresh(minted);
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body.access_token).toEqual(expect.any(String));
    expect(body.refresh_token).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('expires_in');
  });

  it('counts token endpoint requests, faulted ones included, until reset', async () => {
    await server.resetStats();
    expect(await server.stats()).toMatchObject({ tokenRequests: 0, refreshGrants: 0 });

    const minted = await server.mintRefreshToken('basic-client');
    await server.setFault('503', 1);
    await (await refresh(minted)).text();
    await (await refresh(minted)).text();
    await (
      await fetch(server.tokenUrl, {
        method: 'POST',
        headers: { authorization: basicAuth(OAUTH_CLIENTS.basic.clientId, OAUTH_CLIENTS.basic.secret) },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code: 'nope',
          redirect_uri: 'http://127.0.0.1/cb',
        }),
      })
    ).text();
    expect(await server.stats()).toMatchObject({ tokenRequests: 3, refreshGrants: 2 });

    await (await tokenRequest({ grant_type: 'client_credentials' }, OAUTH_CC_CLIENT)).text();
    const counted = await server.stats();
    // The newer counters are there to read, but hidden from toEqual (see OAuthServer.stats).
    expect(counted).toMatchObject({ tokenRequests: 4, refreshGrants: 2 });
    expect(counted).toMatchObject({
      tokenRequests: 4,
      refreshGrants: 2,
      authorizationCodeGrants: 1,
      clientCredentialsGrants: 1,
    });
    // The control endpoint itself answers with all of them.
    expect(await (await fetch(`${server.issuer}/test/stats`)).json()).toEqual({
      tokenRequests: 4,
      refreshGrants: 2,
      authorizationCodeGrants: 1,
      clientCredentialsGrants: 1,
    });

    await server.resetStats();
    expect(await server.stats()).toMatchObject({ tokenRequests: 0, refreshGrants: 0 });
    expect(await server.stats()).toMatchObject({ authorizationCodeGrants: 0, clientCredentialsGrants: 0 });
  });

  it('lets exactly one of 20 concurrent refreshes of one token win, and revokes the grant', async () => {
    // What a client without single-flight refresh does to itself against a strict provider.
    const minted = await server.mintRefreshToken('basic-client');
    await server.resetStats();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(minted)));
    const bodies = await Promise.all(responses.map(json));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(19);
    expect(await server.stats()).toMatchObject({ tokenRequests: 20, refreshGrants: 20 });

    const winner = bodies.find((body) => body.refresh_token)?.refresh_token as string;
    expect((await refresh(winner)).status).toBe(400);
  });

  it('mints refresh tokens with a chosen lifetime and refuses unknown clients', async () => {
    const shortLived = await server.mintRefreshToken('basic-client', 'user-2', { expiresIn: 1 });
    await new Promise((resolveWait) => setTimeout(resolveWait, 2100));
    const expired = await refresh(shortLived);
    expect(expired.status).toBe(400);
    expect((await json(expired)).error).toBe('invalid_grant');

    await expect(server.mintRefreshToken('no-such-client')).rejects.toThrow(/404/);
  });

  describe('authorization code flow through the login and consent pages', () => {
    const alice = OAUTH_ACCOUNTS.alice;

    interface AuthorizeRequest {
      state: string;
      scope?: string;
      /** Leave out for a request without PKCE. */
      codeChallenge?: string;
      /** oidc-provider keeps offline_access in a request only with prompt=consent. */
      prompt?: string;
    }

    function authorizeUrl(client: OAuthClient, request: AuthorizeRequest): URL {
      const url = new URL(server.authorizationUrl);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: client.clientId,
        redirect_uri: CALLBACK,
        scope: request.scope ?? 'openid offline_access',
        state: request.state,
        ...(request.prompt === undefined ? {} : { prompt: request.prompt }),
        ...(request.codeChallenge === undefined
          ? {}
          : { code_challenge: request.codeChallenge, code_challenge_method: 'S256' }),
      }).toString();
      return url;
    }

    function exchangeCode(client: OAuthClient, code: string, codeVerifier?: string): Promise<Response> {
      return tokenRequest(
        {
          grant_type: 'authorization_code',
          code,
          redirect_uri: CALLBACK,
          ...(codeVerifier === undefined ? {} : { code_verifier: codeVerifier }),
        },
        client,
      );
    }

    /** Registers a client, sends alice through the pages with PKCE, and returns the code and verifier. */
    async function aliceAuthorizes(authMethod: OAuthClient['method'] = 'client_secret_basic') {
      const client = await server.registerClient({ redirectUris: [CALLBACK], authMethod });
      const codeVerifier = generateRandomCodeVerifier();
      const state = generateRandomState();
      const url = authorizeUrl(client, {
        state,
        prompt: 'consent',
        codeChallenge: await calculatePKCECodeChallenge(codeVerifier),
      });
      const callback = await new OAuthBrowser().authorize(url, alice);
      const code = callback.searchParams.get('code');
      if (!code) throw new Error(`no code in ${callback}`);
      return { client, code, codeVerifier, state, callback };
    }

    it('with PKCE: alice signs in and allows; the code gives access, refresh and id tokens once', async () => {
      await server.resetStats();
      const { client, code, codeVerifier, state, callback } = await aliceAuthorizes();

      expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
      expect(callback.searchParams.get('state')).toBe(state);
      // RFC 9207: the redirect names the issuer, and discovery says so, so a client must check it.
      expect(callback.searchParams.get('iss')).toBe(server.issuer);

      const wrongVerifier = await exchangeCode(client, code, generateRandomCodeVerifier());
      expect(wrongVerifier.status).toBe(400);
      expect(await json(wrongVerifier)).toMatchObject({ error: 'invalid_grant' });

      // The failed PKCE check did not use up the code: oidc-provider checks PKCE before consuming it.
      const exchanged = await exchangeCode(client, code, codeVerifier);
      expect(exchanged.status).toBe(200);
      const tokens = await json(exchanged);
      expect(tokens).toMatchObject({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'openid offline_access',
      });
      // scope openid brings an id_token, issued by the issuer to this client about alice.
      expect(jwtClaims(tokens.id_token as string)).toMatchObject({
        iss: server.issuer,
        aud: client.clientId,
        sub: 'alice',
      });

      // The refresh token is a real one: it refreshes (and rotates).
      const refreshed = await refresh(tokens.refresh_token as string, client);
      expect(refreshed.status).toBe(200);
      const rotated = (await json(refreshed)).refresh_token as string;
      expect(rotated).toEqual(expect.any(String));

      const replayed = await exchangeCode(client, code, codeVerifier);
      expect(replayed.status).toBe(400);
      expect(await json(replayed)).toMatchObject({ error: 'invalid_grant' });
      // ...and a replayed code revokes the grant it came from, refresh tokens included.
      expect((await refresh(rotated, client)).status).toBe(400);

      expect(await server.stats()).toMatchObject({ authorizationCodeGrants: 3, refreshGrants: 2 });
    });

    it('refuses a code bound to a PKCE challenge when the verifier is missing', async () => {
      const { client, code, codeVerifier } = await aliceAuthorizes();
      const missing = await exchangeCode(client, code);
      expect(missing.status).toBe(400);
      expect(await json(missing)).toMatchObject({ error: 'invalid_grant' });
      expect((await exchangeCode(client, code, codeVerifier)).status).toBe(200);
    });

    it('works without PKCE for a confidential client (client_secret_post), and then refuses a verifier', async () => {
      const client = await server.registerClient({
        redirectUris: [CALLBACK],
        authMethod: 'client_secret_post',
      });
      const state = generateRandomState();
      const callback = await new OAuthBrowser().authorize(
        authorizeUrl(client, { state, prompt: 'consent' }),
        OAUTH_ACCOUNTS.bob,
      );
      expect(callback.searchParams.get('state')).toBe(state);
      const code = callback.searchParams.get('code') as string;

      // A code_verifier for a code that had no challenge is an error too: with PKCE off, send none.
      const unexpectedVerifier = await exchangeCode(client, code, generateRandomCodeVerifier());
      expect(unexpectedVerifier.status).toBe(400);
      expect(await json(unexpectedVerifier)).toMatchObject({ error: 'invalid_grant' });

      const exchanged = await exchangeCode(client, code);
      expect(exchanged.status).toBe(200);
      const tokens = await json(exchanged);
      expect(tokens.access_token).toEqual(expect.any(String));
      expect(tokens.refresh_token).toEqual(expect.any(String));
      expect(jwtClaims(tokens.id_token as string)).toMatchObject({ sub: 'bob' });
    });

    it('drops offline_access, and so issues no refresh token, when the request lacks prompt=consent', async () => {
      const client = await server.registerClient({
        redirectUris: [CALLBACK],
        authMethod: 'client_secret_basic',
      });
      const callback = await new OAuthBrowser().authorize(
        authorizeUrl(client, { state: generateRandomState(), scope: 'openid offline_access' }),
        alice,
      );
      const tokens = await json(await exchangeCode(client, callback.searchParams.get('code') as string));
      expect(tokens.access_token).toEqual(expect.any(String));
      expect(tokens.scope).toBe('openid');
      expect(tokens).not.toHaveProperty('refresh_token');
    });

    it('sends the browser back with error=access_denied and the state when alice denies', async () => {
      const client = await server.registerClient({
        redirectUris: [CALLBACK],
        authMethod: 'client_secret_basic',
      });
      const state = generateRandomState();
      const callback = await new OAuthBrowser().authorize(
        authorizeUrl(client, { state, prompt: 'consent' }),
        {
          ...alice,
          decision: 'deny',
        },
      );
      expect(`${callback.origin}${callback.pathname}`).toBe(CALLBACK);
      expect(callback.searchParams.get('error')).toBe('access_denied');
      expect(callback.searchParams.get('error_description')).toEqual(expect.any(String));
      expect(callback.searchParams.get('state')).toBe(state);
      expect(callback.searchParams.get('iss')).toBe(server.issuer);
      expect(callback.searchParams.has('code')).toBe(false);
    });

    it('refuses a wrong password with the login form again, and then lets the right one in', async () => {
      const client = await server.registerClient({
        redirectUris: [CALLBACK],
        authMethod: 'client_secret_basic',
      });
      const url = authorizeUrl(client, { state: generateRandomState(), prompt: 'consent' });

      await expect(
        new OAuthBrowser().authorize(url, { ...alice, password: 'looking-glass' }),
      ).rejects.toThrow(/signing in as alice was refused \(Wrong username or password\.\).*HTTP 200/);

      const browser = new OAuthBrowser();
      const refused = await browser.signIn(url, 'alice', 'looking-glass');
      expect(refused).toMatchObject({ kind: 'page', status: 200, error: 'Wrong username or password.' });
      // Still the login form, the username kept; nobody is signed in, so the same request goes on.
      expect(requireForm(refused, 'login').fields).toEqual({ username: 'alice', password: '' });
      // An unknown user is refused the same way, and the page echoes the name back escaped.
      const unknown = await browser.submit(requireForm(refused, 'login'), {
        username: 'mallory<"&>',
        password: 'x',
      });
      expect(unknown).toMatchObject({ kind: 'page', error: 'Wrong username or password.' });
      expect(requireForm(unknown, 'login').fields.username).toBe('mallory<"&>');
      expect(unknown.kind === 'page' && unknown.text).toContain('value="mallory&lt;&quot;&amp;&gt;"');

      const consent = await browser.submit(requireForm(unknown, 'login'), alice);
      expect(consent.kind).toBe('page');
      const allowed = await browser.submit(requireForm(consent, 'allow'));
      expect(allowed.kind).toBe('redirect');
      expect(allowed.kind === 'redirect' && allowed.location.searchParams.get('code')).toEqual(
        expect.any(String),
      );
    });

    it('holds a registered client to the authentication method it registered', async () => {
      const { client, code, codeVerifier } = await aliceAuthorizes('client_secret_basic');
      const asPost = await exchangeCode({ ...client, method: 'client_secret_post' }, code, codeVerifier);
      expect(asPost.status).toBe(401);
      expect(await json(asPost)).toMatchObject({ error: 'invalid_client' });
      // Refused before oidc-provider saw it, so the code is still good.
      expect((await exchangeCode(client, code, codeVerifier)).status).toBe(200);
    });
  });

  describe('client_credentials grant', () => {
    it('issues an access token with expires_in and no refresh token', async () => {
      await server.resetStats();
      const response = await tokenRequest(
        { grant_type: 'client_credentials', scope: 'api:read' },
        OAUTH_CC_CLIENT,
      );
      expect(response.status).toBe(200);
      const body = await json(response);
      expect(body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'api:read',
      });
      expect(await server.stats()).toMatchObject({ tokenRequests: 1, clientCredentialsGrants: 1 });
    });

    it('refuses a scope the client may not have, and applies faults to it as to every token request', async () => {
      const refused = await tokenRequest(
        { grant_type: 'client_credentials', scope: 'openid' },
        OAUTH_CC_CLIENT,
      );
      expect(refused.status).toBe(400);
      expect(await json(refused)).toMatchObject({ error: 'invalid_scope' });

      await server.setFault('503', 1);
      const faulted = await tokenRequest({ grant_type: 'client_credentials' }, OAUTH_CC_CLIENT);
      expect(faulted.status).toBe(503);
      await faulted.text();
      expect((await tokenRequest({ grant_type: 'client_credentials' }, OAUTH_CC_CLIENT)).status).toBe(200);
    });
  });
});
