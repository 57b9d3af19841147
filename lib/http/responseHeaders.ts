import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';

/**
 * Headers on every answer of both APIs, success or error, 204 included: decided here, once, so
 * that no endpoint (present or future) can forget them.
 *
 * - `Cache-Control: no-store`: RFC 6749 §5.1 requires it on answers that carry tokens or
 *   credentials, which secrets, their lists, refreshes and v1 payloads do. It is on every answer
 *   rather than on a chosen few because the rest gain nothing from caching either: each is an
 *   authenticated answer for one caller (an auth-client, a workspace, an error), and a list of
 *   exceptions is one more thing to get wrong when an endpoint changes what it returns.
 * - `X-Content-Type-Options: nosniff`: a browser must take a body for the type it is labelled
 *   with; a secret's text/plain payload or a JSON document must never be sniffed into HTML.
 */
export const RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * Adds RESPONSE_HEADERS to whatever answer the chain produced. Register it first: middy runs
 * `after` and `onError` in reverse order, so it then sees the answer last, after the error
 * middleware has written an error answer.
 */
export function responseHeaders<TContext extends Context>(): MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  TContext
> {
  const addHeaders = (request: { response: APIGatewayProxyStructuredResultV2 | undefined | null }) => {
    if (!request.response) return;
    request.response = {
      ...request.response,
      headers: { ...request.response.headers, ...RESPONSE_HEADERS },
    };
  };
  return { after: addHeaders, onError: addHeaders };
}
