import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { observeInvocation } from '../observability';
import { errorResponse } from './errors';
import { JSON_MEDIA_TYPE } from './mediaTypes';
import { responseHeaders } from './responseHeaders';

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * An endpoint that serves a document of its own, to anyone: no credentials, no storage, no audit
 * record (it answers no 401 or 403). Unlike `publicEndpoint` it builds no services at cold start
 * and imports nothing of the store or the AWS SDK, which a function pays for on every cold start.
 * It keeps what every answer has: the logs and metrics, the response headers, JSON:API errors.
 */
export function staticEndpoint(document: () => string) {
  return middy<Event, Result>()
    .use(observeInvocation<Event, Result, Context>({ http: true }))
    .use(responseHeaders<Context>())
    .use({
      onError: (request) => {
        request.response = errorResponse(request.error, JSON_MEDIA_TYPE);
      },
    })
    .handler(() =>
      Promise.resolve({
        statusCode: 200,
        headers: { 'Content-Type': JSON_MEDIA_TYPE },
        body: document(),
      }),
    );
}
