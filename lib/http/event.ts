import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Reading API Gateway (HTTP API, payload 2.0) events, shared by the v2 and v1 middy chains. */

/** Headers by lower-case name: API Gateway lower-cases them, serverless-offline not always. */
export function lowerCaseHeaders(
  headers: APIGatewayProxyEventV2['headers'] | undefined,
): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]),
  );
}

type RequestContext = APIGatewayProxyEventV2['requestContext'];

/**
 * The parts of an event the chains read that API Gateway always sends but test and benchmark
 * events, and serverless-offline, may leave out: read through this type, each is optional.
 */
interface LooseEvent {
  readonly requestContext?: Partial<Omit<RequestContext, 'http'>> & {
    http?: Partial<RequestContext['http']>;
  };
  readonly rawQueryString?: string;
  readonly rawPath?: string;
}

/** The request context, each part optional (see LooseEvent). */
export function requestContextOf(event: LooseEvent): NonNullable<LooseEvent['requestContext']> {
  return event.requestContext ?? {};
}

/** The query string's parameters (an event may leave the raw string out when there is none). */
export function queryOf(event: LooseEvent): URLSearchParams {
  return new URLSearchParams(event.rawQueryString ?? '');
}

/** Path parameters without the undefined entries the event type allows. */
export function definedEntries(
  record: Record<string, string | undefined> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name, value]])),
  );
}

/**
 * The request body's bytes: API Gateway sends text as is and binary base64-encoded, and
 * serverless-offline sends null for an empty body.
 */
export function bodyBytes(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  const body: unknown = event.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body !== 'string') throw new TypeError('the event body is neither a string nor bytes');
  return Buffer.from(body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The request's path as API Gateway received it ('' when an event leaves it out). */
export function rawPathOf(event: LooseEvent): string {
  return event.rawPath ?? '';
}
