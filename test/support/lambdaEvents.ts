import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { TestUser } from './fixtures';

/** A request as API Gateway's HTTP API (payload 2.0) hands it to a function. */
export interface HttpRequest {
  readonly method: string;
  /** The route as serverless.yml declares it, e.g. `/v2/workspaces/{workspaceId}/secrets`. */
  readonly route: string;
  readonly pathParameters?: Record<string, string>;
  readonly user: TestUser;
  readonly body?: unknown;
}

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Invokes a handler in process with the event API Gateway would send, as `user` (Basic). */
export async function invokeHttp(
  handler: Handler,
  request: HttpRequest,
): Promise<APIGatewayProxyStructuredResultV2> {
  const rawPath = request.route.replace(
    /\{(\w+)\}/g,
    (_, name: string) => request.pathParameters?.[name] ?? '',
  );
  const event = {
    version: '2.0',
    routeKey: `${request.method} ${request.route}`,
    rawPath,
    rawQueryString: '',
    headers: {
      authorization: `Basic ${Buffer.from(`${request.user.email}:${request.user.apiKey}`).toString('base64')}`,
      ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    pathParameters: request.pathParameters ?? {},
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
    isBase64Encoded: false,
    requestContext: {
      requestId: 'test-request',
      http: {
        method: request.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'jest',
      },
    },
  } as unknown as APIGatewayProxyEventV2;
  const context = {
    awsRequestId: 'test-invocation',
    getRemainingTimeInMillis: () => 30_000,
  } as unknown as Context;
  return (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
}
