// Proves the OAuth server harness itself, with plain fetch and no project code.
import { OAUTH_CLIENTS, startOAuthServer, type OAuthServer } from '../support/oauthServer';

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
  expires_in?: number;
  token_type?: string;
  error?: string;
  error_description?: string;
}

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
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
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

  it('announces an issuer on 127.0.0.1 and its token endpoint', async () => {
    expect(server.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.tokenUrl).toBe(`${server.issuer}/token`);
    const discovery = (await (await fetch(`${server.issuer}/.well-known/openid-configuration`)).json()) as {
      issuer: string;
      token_endpoint: string;
    };
    expect(discovery.issuer).toBe(server.issuer);
    expect(discovery.token_endpoint).toBe(server.tokenUrl);
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
    expect(await server.stats()).toEqual({ tokenRequests: 0, refreshGrants: 0 });

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
    expect(await server.stats()).toEqual({ tokenRequests: 3, refreshGrants: 2 });

    await server.resetStats();
    expect(await server.stats()).toEqual({ tokenRequests: 0, refreshGrants: 0 });
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
    expect(await server.stats()).toEqual({ tokenRequests: 20, refreshGrants: 20 });

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
});
