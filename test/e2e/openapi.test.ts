/**
 * The OpenAPI documents as users fetch them: without credentials, from the running server, the
 * same as the files in openapi/ (which every other e2e answer is checked against).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalServer, type LocalServer } from '../support/server';
import { Api } from './api';

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer();
}, 120_000);

test.each(['v1', 'v2'])(
  'GET /%s/openapi.json answers the committed document, without credentials',
  async (version) => {
    // Act
    const reply = await new Api(server.baseUrl).request('GET', `/${version}/openapi.json`);

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    const committed: unknown = JSON.parse(
      readFileSync(resolve(__dirname, '..', '..', 'openapi', `${version}.json`), 'utf8'),
    );
    expect(reply.body).toEqual(committed);
    expect(reply.body.openapi).toBe('3.1.0');
  },
);
