/**
 * HTTP helpers for the v1 (Barbican-compatible) e2e tests: requests authenticated the Barbican
 * way (X-Auth-Token, X-Project-Id), bodies read as bytes and as JSON, and the check every
 * Barbican error must pass.
 */
import { createWorkspace } from '../../lib/directory/admin';
import type { Permission } from '../../lib/model';
import type { Services } from '../../lib/services';
import { createMember, createWorld, type TestUser, type World } from '../support/fixtures';
import { checkAgainstOpenApi } from '../support/openApiCheck';

/** Response bodies are whatever the server sent; tests assert on their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface V1Response {
  readonly status: number;
  readonly headers: Headers;
  readonly bytes: Buffer;
  readonly text: string;
  /** The body as JSON, or undefined when it is empty or not JSON. */
  readonly body: Json;
}

export interface V1RequestOptions {
  /** The caller's API key (X-Auth-Token); omitted when undefined. */
  readonly token?: string;
  /** X-Project-Id; omitted when undefined. */
  readonly project?: string;
  /** Sent as application/json unless `headers` says otherwise. */
  readonly json?: unknown;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
}

export class V1Api {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: V1RequestOptions = {}): Promise<V1Response> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers['X-Auth-Token'] = options.token;
    if (options.project !== undefined) headers['X-Project-Id'] = options.project;
    let body: string | Buffer | undefined = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers ?? {});
    const url = path.startsWith('http') ? path : `${this.baseUrl}${path}`;
    const response = await fetch(url, { method, headers, body });
    const bytes = Buffer.from(await response.arrayBuffer());
    const text = bytes.toString('utf8');
    checkAgainstOpenApi(method, url, { status: response.status, headers: response.headers, text });
    let parsed: Json;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, bytes, text, body: parsed };
  }
}

/** Fails with the body in the message, so that a wrong status explains itself. */
export function expectStatus(response: V1Response, status: number): void {
  if (response.status !== status) {
    throw new Error(`expected HTTP ${status}, got ${response.status}: ${response.text.slice(0, 600)}`);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
};

/** A Barbican error: the status, JSON, and exactly `{code, title, description}` with the status as `code`. */
export function expectBarbicanError(
  response: V1Response,
  status: number,
  description?: string | RegExp,
): void {
  expectStatus(response, status);
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  expect(Object.keys(response.body ?? {}).sort()).toEqual(['code', 'description', 'title']);
  expect(response.body.code).toBe(status);
  expect(response.body.title).toBe(TITLES[status]);
  expect(typeof response.body.description).toBe('string');
  if (description instanceof RegExp) expect(response.body.description).toMatch(description);
  else if (description !== undefined) expect(response.body.description).toBe(description);
}

/** The id at the end of a secret_ref. */
export function idOf(secretRef: string): string {
  return secretRef.slice(secretRef.lastIndexOf('/') + 1);
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A well-formed id that names nothing. */
export const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';

export const ALL_V1: Permission[] = [
  'workspaces.secret.get',
  'workspaces.secret.create',
  'workspaces.secret.edit',
  'workspaces.secret.delete',
];

/** A tenant and workspace with an admin, plus a second workspace of the same tenant for isolation tests. */
export async function createV1World(
  services: Services,
): Promise<World & { otherWorkspaceId: string; other: TestUser }> {
  const world = await createWorld(services);
  const { id: otherWorkspaceId } = await createWorkspace(services, world.tenantId, `other-${Date.now()}`);
  const other = await createMember(services, otherWorkspaceId, { permissions: ALL_V1 });
  return { ...world, otherWorkspaceId, other };
}

/**
 * Calls every v1 handler once, one after the other, so that each test meets warm functions:
 * serverless-offline loads a handler on its first call, and several first calls at once on a
 * busy machine can outlast the 10 s Lambda timeout. A call that timed out is tried again.
 */
export async function warmUp(api: V1Api, token: string, project: string): Promise<void> {
  const secret = `/v1/secrets/${UNKNOWN_ID}`;
  const calls: Array<[string, string]> = [
    ['GET', '/v1/secrets'],
    ['POST', '/v1/secrets'],
    ['GET', secret],
    ['PUT', secret],
    ['DELETE', secret],
    ['GET', `${secret}/payload`],
    ['GET', `${secret}/metadata`],
    ['PUT', `${secret}/metadata`],
    ['POST', `${secret}/metadata`],
    ['GET', `${secret}/metadata/key`],
    ['PUT', `${secret}/metadata/key`],
    ['DELETE', `${secret}/metadata/key`],
  ];
  for (const [method, path] of calls) {
    for (let attempt = 0; attempt < 3; attempt++) {
      // A text body: every handler loads and answers (415, 404 or 200) without writing anything.
      const response = await api.request(method, path, {
        token,
        project,
        ...(method === 'GET' || method === 'DELETE'
          ? {}
          : { body: 'warm-up', headers: { 'Content-Type': 'text/csv' } }),
      });
      if (response.status < 500 && !/Lambda timeout/.test(response.text)) break;
    }
  }
}

/**
 * Runs requests one after the other. serverless-offline gives each request in flight to a
 * function its own instance, loading the handler again, so tests send requests concurrently only
 * where concurrency is what they test.
 */
export async function inSequence<T>(requests: ReadonlyArray<() => Promise<T>>): Promise<T[]> {
  const results: T[] = [];
  for (const request of requests) results.push(await request());
  return results;
}

/**
 * Before a test of simultaneous requests: brings up `count` instances of the function behind
 * `request` (which must change nothing), retrying a round in which one timed out while loading.
 */
export async function warmInstances(count: number, request: () => Promise<V1Response>): Promise<void> {
  for (let round = 0; round < 3; round++) {
    const responses = await Promise.all(Array.from({ length: count }, request));
    if (responses.every((response) => response.status < 500 && !/Lambda timeout/.test(response.text))) return;
  }
}
