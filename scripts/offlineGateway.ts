/**
 * A serverless plugin for local mode (`npm start` runs `serverless offline start`): where
 * serverless-offline 14's HTTP server answers unlike API Gateway's HTTP API, this makes it answer as
 * the deployed service does. It acts on no other command (package, deploy).
 *
 * - CORS: serverless-offline reflects any `Origin` with `access-control-allow-credentials: true`
 *   (and with `httpApi.cors` set it still reflects any origin outside preflights). Here the rules
 *   are exactly serverless.yml's `provider.httpApi.cors` (deploy/cors.cjs), applied as API Gateway
 *   applies them: it answers preflights itself and ignores CORS headers from anywhere else.
 * - A failed invocation (a timeout, a handler that throws) comes back from serverless-offline as a
 *   200 whose body holds the error's type and stack trace. API Gateway answers a 5xx and shows
 *   nothing of the function: here 504 for a timeout, 500 otherwise, as JSON:API documents.
 * - The emulator's own answers (no such route, a path that is not a valid URL) are JSON:API documents,
 *   and so are Node's to requests it cannot parse (400, 408, 413, 431) or whose `Expect` it cannot
 *   meet (417).
 * - A header sent more than once reaches the function as API Gateway's payload 2.0 gives it: one
 *   header, its values joined with commas. serverless-offline kept only the last copy, so a
 *   request carrying two identities (two `X-Auth-Token`s, two `Authorization`s) was answered as
 *   the last one's instead of refused.
 * - `LOCAL_FUNCTION_TIMEOUTS` (e.g. `secretsRefresh=2`) shortens functions' timeouts in local mode
 *   only, so that a timeout can be reproduced without waiting for the deployed one.
 *
 * serverless-offline has no configuration for any of this, so the plugin adds hapi `onRequest` and
 * `onPreResponse` extensions to its HTTP server, after serverless-offline's own (extensions run in
 * the order added).
 */

import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { RESPONSE_HEADERS } from '../lib/http/responseHeaders';

/** The service's own default for JSON:API documents (lib/http/mediaTypes.ts), and API Gateway's for its errors. */
const JSON_MEDIA_TYPE = 'application/json';

/** serverless.yml's `provider.httpApi.cors` object, as osls's schema allows it. */
export interface CorsRules {
  readonly allowedOrigins: readonly string[];
  readonly allowedHeaders?: readonly string[];
  readonly allowedMethods?: readonly string[];
  readonly allowCredentials?: boolean;
  readonly exposedResponseHeaders?: readonly string[];
  readonly maxAge?: number;
}

/** An answer the gateway gives in place of the one it was about to send. */
export interface GatewayAnswer {
  readonly status: number;
  /** A JSON:API document; absent for a preflight's 204. */
  readonly body?: string;
}

function errorAnswer(status: number, code: string, title: string, detail: string): GatewayAnswer {
  return { status, body: JSON.stringify({ errors: [{ status: String(status), code, title, detail }] }) };
}

export const ROUTE_NOT_FOUND = errorAnswer(
  404,
  'not_found',
  'Not found',
  'No endpoint of this API answers this method and path.',
);
export const MALFORMED_URL = errorAnswer(
  400,
  'bad_request',
  'Bad request',
  'The request path is not a valid URL (check its percent-encoding).',
);

/**
 * serverless-offline's stand-in for a failed invocation is a body of exactly `errorMessage`,
 * `errorType` and `stackTrace` (see its HttpServer.js, "Mocks Lambda errors"); no handler of this
 * service answers that. A timeout is its `LambdaTimeoutError`.
 */
export function failedInvocation(body: unknown): GatewayAnswer | undefined {
  if (typeof body !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const keys = Object.keys(parsed).sort().join(',');
  if (keys !== 'errorMessage,errorType,stackTrace') return undefined;
  return (parsed as { errorType: unknown }).errorType === 'LambdaTimeoutError'
    ? errorAnswer(
        504,
        'timeout',
        'Gateway timeout',
        'The request took too long to complete. Try again later.',
      )
    : errorAnswer(
        500,
        'internal_error',
        'Internal server error',
        'The request could not be completed. Try again later.',
      );
}

/** Any other error the emulator itself raises (hapi's Boom): its status, nothing of its message. */
export function emulatorError(status: number, title: string): GatewayAnswer {
  if (status === 404) return ROUTE_NOT_FOUND;
  return status >= 500
    ? errorAnswer(
        status,
        'internal_error',
        'Internal server error',
        'The request could not be completed. Try again later.',
      )
    : errorAnswer(status, 'bad_request', title, `The request was refused (${title}).`);
}

/** What Node answers each parser error with (its `socketOnError`), here as JSON:API documents. */
const UNPARSABLE_ANSWERS: Readonly<Record<string, GatewayAnswer>> = {
  HPE_HEADER_OVERFLOW: errorAnswer(
    431,
    'bad_request',
    'Request header fields too large',
    'The request line and headers must not exceed 16 KiB.',
  ),
  HPE_CHUNK_EXTENSIONS_OVERFLOW: errorAnswer(
    413,
    'bad_request',
    'Payload too large',
    'The chunk extensions are too large.',
  ),
  ERR_HTTP_REQUEST_TIMEOUT: errorAnswer(
    408,
    'bad_request',
    'Request timeout',
    'The request did not arrive in time.',
  ),
};
const NOT_HTTP = errorAnswer(400, 'bad_request', 'Bad request', 'The request is not valid HTTP/1.1.');

/**
 * The whole HTTP answer to a request Node's parser refused before hapi saw it (malformed request
 * line or header, a URL or headers past 16 KiB): Node's own is bare (`400 Bad Request`, or 431,
 * 413, 408 as the error says), without a body or the headers every other answer has.
 */
export function unparsableRequestAnswer(parserErrorCode: string | undefined): string {
  const answer = UNPARSABLE_ANSWERS[parserErrorCode ?? ''] ?? NOT_HTTP;
  const headers = Object.entries({ ...answerHeaders(answer), Connection: 'close' });
  return [
    `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
    '',
    answer.body ?? '',
  ].join('\r\n');
}

/** The answer to an `Expect` header other than `100-continue`, which Node answers bare as well. */
const EXPECTATION_FAILED = errorAnswer(
  417,
  'expectation_failed',
  'Expectation failed',
  'The only expectation this API meets is 100-continue.',
);

/** The headers of a gateway answer with a JSON:API body, as every handler answer has them. */
function answerHeaders(answer: GatewayAnswer): Record<string, string> {
  return {
    'Content-Type': JSON_MEDIA_TYPE,
    'Content-Length': String(Buffer.byteLength(answer.body ?? '')),
    ...RESPONSE_HEADERS,
  };
}

/**
 * The CORS headers API Gateway adds for `origin` under `rules`: none without rules, without an
 * Origin, or for an origin not allowed; a preflight also learns the methods, headers and max age.
 */
export function corsHeaders(
  rules: CorsRules | undefined,
  origin: string | undefined,
  preflight: boolean,
): Record<string, string> {
  if (!rules || !origin) return {};
  const anyOrigin = rules.allowedOrigins.includes('*');
  if (!anyOrigin && !rules.allowedOrigins.includes(origin)) return {};
  const headers: Record<string, string> = { 'access-control-allow-origin': anyOrigin ? '*' : origin };
  if (rules.allowCredentials) headers['access-control-allow-credentials'] = 'true';
  if (preflight) {
    if (rules.allowedMethods) headers['access-control-allow-methods'] = rules.allowedMethods.join(',');
    if (rules.allowedHeaders) headers['access-control-allow-headers'] = rules.allowedHeaders.join(',');
    if (rules.maxAge !== undefined) headers['access-control-max-age'] = String(rules.maxAge);
  } else if (rules.exposedResponseHeaders?.length) {
    headers['access-control-expose-headers'] = rules.exposedResponseHeaders.join(',');
  }
  return headers;
}

/** `provider.httpApi.cors` as resolved: false or absent turns CORS off; `true` is refused. */
export function corsRules(config: unknown): CorsRules | undefined {
  if (config === undefined || config === null || config === false) return undefined;
  if (typeof config === 'object' && Array.isArray((config as CorsRules).allowedOrigins)) {
    return config as CorsRules;
  }
  throw new Error(
    'provider.httpApi.cors must be false or an object with allowedOrigins (see deploy/cors.cjs)',
  );
}

/** `LOCAL_FUNCTION_TIMEOUTS`: `name=seconds` pairs, comma-separated, naming functions that exist. */
export function parseTimeouts(
  value: string | undefined,
  functionNames: readonly string[],
): Map<string, number> {
  const timeouts = new Map<string, number>();
  for (const pair of (value ?? '').split(',').filter((item) => item.trim() !== '')) {
    const [name = '', seconds = ''] = pair.split('=').map((part) => part.trim());
    if (!functionNames.includes(name) || !/^[1-9]\d*$/.test(seconds)) {
      throw new Error(
        `LOCAL_FUNCTION_TIMEOUTS: "${pair}" is not <function>=<whole seconds> for a function of serverless.yml`,
      );
    }
    timeouts.set(name, Number(seconds));
  }
  return timeouts;
}

/**
 * Node's raw header list (name, value, name, value…) with each header once, under its first
 * spelling, its values joined with commas in the order sent: what API Gateway's payload 2.0 makes
 * of repeated headers (names compared without case, as HTTP's are).
 */
export function joinRepeatedHeaders(rawHeaders: readonly string[]): string[] {
  const joined = new Map<string, { name: string; values: string[] }>();
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] ?? '';
    const value = rawHeaders[index + 1] ?? '';
    const entry = joined.get(name.toLowerCase());
    if (entry) entry.values.push(value);
    else joined.set(name.toLowerCase(), { name, values: [value] });
  }
  return [...joined.values()].flatMap(({ name, values }) => [name, values.join(',')]);
}

// ---- the plugin: the few parts of osls, serverless-offline and hapi it touches -------------------

interface Boom {
  readonly isBoom: true;
  readonly output: { readonly statusCode: number; readonly payload: { readonly error?: string } };
}

interface HapiResponse {
  readonly isBoom?: false;
  readonly statusCode: number;
  readonly source: unknown;
  readonly headers: Record<string, unknown>;
  header(name: string, value: string): HapiResponse;
  code(status: number): HapiResponse;
  type(mediaType: string): HapiResponse;
  vary(header: string): void;
}

interface HapiRequest {
  readonly method: string;
  /** Node's request: serverless-offline builds the event's headers from its `rawHeaders`. */
  readonly raw: { readonly req: { rawHeaders: string[] } };
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** null when the request line's path is not a valid URL. */
  readonly url: URL | null;
  readonly route: {
    readonly path: string;
    readonly method: string;
    readonly settings: { readonly tags?: string[] };
  };
  readonly response: HapiResponse | Boom;
  readonly info: { cors: { isOriginMatch: boolean } | null };
}

interface HapiToolkit {
  readonly continue: symbol;
  response(body?: string): HapiResponse;
}

interface HapiServer {
  /** The Node HTTP server hapi listens with. */
  readonly listener: Server;
  ext(
    event: 'onRequest' | 'onPreResponse',
    method: (request: HapiRequest, h: HapiToolkit) => HapiResponse | symbol,
  ): void;
}

interface Serverless {
  readonly service: {
    readonly provider: { readonly httpApi?: { readonly cors?: unknown } };
    readonly functions: Record<string, { timeout?: number }>;
  };
  readonly pluginManager: { getPlugins(): unknown[] };
}

/** What the gateway answers instead, if anything. */
function replacementFor(request: HapiRequest, rules: CorsRules | undefined): GatewayAnswer | undefined {
  // API Gateway answers every OPTIONS itself when CORS is on; without CORS no route has OPTIONS.
  if (request.method === 'options') return rules ? { status: 204 } : ROUTE_NOT_FOUND;
  const { response } = request;
  if (response.isBoom) {
    // hapi's own bad-request route: a path parameter (or the catch-all's) that does not decode.
    const badPath = request.route.method === '_special' && response.output.statusCode === 400;
    if (request.url === null || badPath) return MALFORMED_URL;
    return emulatorError(response.output.statusCode, response.output.payload.error ?? 'Error');
  }
  // serverless-offline's catch-all route, its "route not found" answer.
  if (request.route.path === '/{p*}' && request.route.method === '*') return ROUTE_NOT_FOUND;
  if (request.route.settings.tags?.includes('api') && response.statusCode === 200) {
    return failedInvocation(response.source);
  }
  return undefined;
}

function gateway(rules: CorsRules | undefined) {
  return (request: HapiRequest, h: HapiToolkit): HapiResponse | symbol => {
    const replacement = replacementFor(request, rules);
    let response: HapiResponse;
    if (replacement) {
      response = h.response(replacement.body).code(replacement.status);
      if (replacement.body !== undefined) response.type(JSON_MEDIA_TYPE);
      // The gateway's own answers carry the headers every handler answer carries.
      for (const [name, value] of Object.entries(RESPONSE_HEADERS)) response.header(name, value);
    } else {
      response = request.response as HapiResponse;
      for (const name of Object.keys(response.headers)) {
        if (name.toLowerCase().startsWith('access-control-')) Reflect.deleteProperty(response.headers, name);
      }
    }
    // hapi adds a route's own CORS headers after every extension has run, and serverless-offline
    // gives routes CORS settings of its own: telling hapi the origin did not match leaves CORS to us.
    request.info.cors = { isOriginMatch: false };
    const headers = corsHeaders(rules, request.headers.origin, request.method === 'options');
    for (const [name, value] of Object.entries(headers)) response.header(name, value);
    if (rules) response.vary('origin');
    return replacement ? response : h.continue;
  };
}

/**
 * Node answers requests it cannot parse, and unmet `Expect` headers, by itself, bare. A connection
 * that has had nothing written to it yet gets the answer here instead. Any other (an error behind
 * a request already being answered, on a kept-alive connection) stays hapi's to handle, as before:
 * an answer written there would cut into the one in progress.
 */
function answerUnparsableRequests(listener: Server): void {
  const hapiListeners = listener.listeners('clientError') as Array<(error: Error, socket: Duplex) => void>;
  listener.removeAllListeners('clientError');
  listener.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    const fresh = socket.bytesWritten === 0 && !(socket as { _httpMessage?: unknown })._httpMessage;
    if (fresh && socket.writable) {
      socket.end(unparsableRequestAnswer(error.code));
      return;
    }
    for (const hapiListener of hapiListeners) hapiListener.call(listener, error, socket);
  });
  listener.on('checkExpectation', (_request, response) => {
    response.writeHead(EXPECTATION_FAILED.status, answerHeaders(EXPECTATION_FAILED));
    response.end(EXPECTATION_FAILED.body);
  });
}

export class OfflineGateway {
  readonly hooks: Record<string, () => void>;

  constructor(private readonly serverless: Serverless) {
    this.hooks = {
      // Before serverless-offline reads the functions' timeouts.
      'before:offline:start:init': () => {
        this.shortenTimeouts();
      },
      // After serverless-offline has built its HTTP server.
      'after:offline:start:init': () => {
        this.installGateway();
      },
    };
  }

  private shortenTimeouts(): void {
    const { functions } = this.serverless.service;
    for (const [name, seconds] of parseTimeouts(
      process.env.LOCAL_FUNCTION_TIMEOUTS,
      Object.keys(functions),
    )) {
      const definition = functions[name];
      if (definition) definition.timeout = seconds;
    }
  }

  private installGateway(): void {
    const rules = corsRules(this.serverless.service.provider.httpApi?.cors);
    const offline = this.serverless.pluginManager
      .getPlugins()
      .find(
        (plugin) => (plugin as { constructor?: { name?: string } }).constructor?.name === 'ServerlessOffline',
      ) as { internals?: () => { getApiGatewayServer?: () => HapiServer } } | undefined;
    // serverless-offline's only handle on its hapi server. Fail loudly if an upgrade removes it:
    // a silent no-op would bring back the answers this plugin exists to correct.
    const server = offline?.internals?.().getApiGatewayServer?.();
    if (!server) throw new Error('offlineGateway: cannot reach serverless-offline 14 HTTP server');
    server.ext('onRequest', (request, h) => {
      request.raw.req.rawHeaders = joinRepeatedHeaders(request.raw.req.rawHeaders);
      return h.continue;
    });
    server.ext('onPreResponse', gateway(rules));
    answerUnparsableRequests(server.listener);
  }
}
