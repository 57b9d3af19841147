/**
 * Small HTTP helpers shared by the e2e tests: a fetch wrapper that always reads the body, the two
 * ways the document lets a caller authenticate, and the checks every JSON:API error must pass.
 */
import type { TestUser } from '../support/fixtures';
import { checkAgainstOpenApi } from '../support/openApiCheck';

/** Response bodies are whatever the server sent; tests assert on their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The raw body text ('' when there is none). */
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  readonly body: Json;
}

export type HeaderMap = Record<string, string>;

export interface RequestOptions {
  readonly auth?: HeaderMap;
  /** Serialised as JSON with `Content-Type: application/json` unless `headers` says otherwise. */
  readonly json?: unknown;
  /** A raw body, sent as is. */
  readonly body?: string;
  readonly headers?: HeaderMap;
}

/** `Authorization: Basic base64(EMAIL:APIKEY)`, as the document's `curl -u` sends it. */
export function basic(user: Pick<TestUser, 'email' | 'apiKey'>): HeaderMap {
  return { Authorization: `Basic ${Buffer.from(`${user.email}:${user.apiKey}`).toString('base64')}` };
}

/** `X-Auth-Token: APIKEY`. */
export function token(user: Pick<TestUser, 'apiKey'>): HeaderMap {
  return { 'X-Auth-Token': user.apiKey };
}

export class Api {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: HeaderMap = { ...(options.auth ?? {}) };
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    Object.assign(headers, options.headers ?? {});
    const url = new URL(path, this.baseUrl);
    const response = await fetch(url, { method, headers, body });
    const text = await response.text();
    checkAgainstOpenApi(method, url, { status: response.status, headers: response.headers, text });
    let parsed: Json;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  }

  get(path: string, auth: HeaderMap, headers?: HeaderMap) {
    return this.request('GET', path, { auth, headers });
  }

  post(path: string, auth: HeaderMap, json: unknown) {
    return this.request('POST', path, { auth, json });
  }

  patch(path: string, auth: HeaderMap, json: unknown) {
    return this.request('PATCH', path, { auth, json });
  }

  delete(path: string, auth: HeaderMap) {
    return this.request('DELETE', path, { auth });
  }
}

export const secretsPath = (workspaceId: string) => `/v2/workspaces/${workspaceId}/secrets`;
export const secretPath = (workspaceId: string, secretId: string) =>
  `/v2/workspaces/${workspaceId}/secrets/${secretId}`;

export type ErrorSource = { pointer: string } | { parameter: string } | { header: string };

/**
 * Checks a JSON:API error answer: the status, a JSON media type, an `errors` array whose first
 * entry repeats the status as a string and explains itself in `detail`, and (when given) the
 * `source` naming what was wrong.
 */
export function expectJsonApiError(
  response: ApiResponse,
  status: number | readonly number[],
  source?: ErrorSource | { pointer: RegExp },
): void {
  expectStatus(response, status);
  expect(response.headers.get('content-type') ?? '').toMatch(/^application\/(vnd\.api\+)?json/);
  expect(response.body).toEqual(expect.objectContaining({ errors: expect.any(Array) }));
  const errors = response.body.errors as Json[];
  expect(errors.length).toBeGreaterThanOrEqual(1);
  const [first] = errors;
  expect(first.status).toBe(String(response.status));
  expect(typeof first.detail).toBe('string');
  expect(first.detail.length).toBeGreaterThan(0);
  if (source && 'pointer' in source && source.pointer instanceof RegExp) {
    expect(first.source?.pointer).toMatch(source.pointer);
  } else if (source) {
    expect(first.source).toEqual(source);
  }
}

/** Fails with the response body in the message, so that a wrong status explains itself. */
export function expectStatus(response: ApiResponse, status: number | readonly number[]): void {
  const statuses = typeof status === 'number' ? [status] : status;
  if (!statuses.includes(response.status)) {
    throw new Error(
      `expected HTTP ${statuses.join(' or ')}, got ${response.status}: ${response.text.slice(0, 600)}`,
    );
  }
}

/**
 * A resource object without its optional resource-level `meta` (JSON:API allows one; the document's
 * examples have none), so that it can be compared with the document's shape field for field.
 */
export function withoutMeta(resource: Json): Json {
  if (resource === null || typeof resource !== 'object') return resource;
  const { meta, ...rest } = resource;
  if (meta !== undefined) expect(meta).toEqual(expect.any(Object));
  return rest;
}

/** A valid UUID that names nothing. */
export const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
