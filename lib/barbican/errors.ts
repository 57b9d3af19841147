import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AppError, ForbiddenError, UnauthorizedError } from '../errors';
import { logError } from '../observability';

/** webob's titles for the statuses the v1 API answers with (Barbican's `JSONErrorHook` uses them). */
const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * The one place where an error of the v1 API becomes an answer, in Barbican's body shape
 * `{"code", "title", "description"}`. `operation` is Barbican's name for what was attempted
 * ("Secret creation"): its refusals and failures name it, as Barbican's `handle_exceptions` does.
 * A 5xx says nothing about internals; the log has the error's name and message only.
 */
export function barbicanErrorResponse(error: unknown, operation: string): APIGatewayProxyStructuredResultV2 {
  if (error instanceof AppError) {
    const description =
      error instanceof ForbiddenError
        ? `${operation} attempt not allowed - please review your user/project privileges`
        : error instanceof UnauthorizedError
          ? 'The request you have made requires authentication.'
          : error.message;
    return answer(error.status, description, error.headers);
  }
  logError('unhandled error', error, { operation });
  return answer(500, `${operation} failure seen - please contact site administrator.`);
}

function answer(
  status: number,
  description: string,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ code: status, title: TITLES[status] ?? 'Error', description }),
  };
}
