import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError } from '../errors';
import { logError } from '../observability';
import { JSON_MEDIA_TYPE } from './mediaTypes';

interface JsonApiError {
  status: string;
  code: string;
  title: string;
  detail: string;
  source?: Record<string, string>;
}

/**
 * The one place where an error becomes an HTTP answer. Domain errors carry their status; any
 * other error is a 500 whose body says nothing about internals (the log has the error's name and
 * message, never request data).
 */
export function errorResponse(
  error: unknown,
  contentType: string = JSON_MEDIA_TYPE,
): APIGatewayProxyStructuredResultV2 {
  if (error instanceof AppError) {
    const body: JsonApiError = {
      status: String(error.status),
      code: error.code,
      title: error.title,
      detail: error.message,
      ...(error.source ? { source: error.source } : {}),
    };
    return {
      statusCode: error.status,
      headers: { 'Content-Type': contentType, ...error.headers },
      body: JSON.stringify({ errors: [body] }),
    };
  }
  logError('unhandled error', error);
  const body: JsonApiError = {
    status: '500',
    code: 'internal_error',
    title: 'Internal server error',
    detail: 'The request could not be completed. Try again later.',
  };
  return {
    statusCode: 500,
    headers: { 'Content-Type': contentType },
    body: JSON.stringify({ errors: [body] }),
  };
}
