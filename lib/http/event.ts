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

/** Path parameters without the undefined entries the event type allows. */
export function definedEntries(
  record: Record<string, string | undefined> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(record ?? {}).flatMap(([name, value]) => (value === undefined ? [] : [[name, value]])),
  );
}
