import { handler as createHandler } from '../functions/v1SecretsCreate';
import { handler as deleteHandler } from '../functions/v1SecretsDelete';
import { handler as getHandler } from '../functions/v1SecretsGet';
import { handler as listHandler } from '../functions/v1SecretsList';
import { handler as payloadHandler } from '../functions/v1SecretsPayloadGet';
import type { HandlerStack, HttpAnswer, LambdaHandler } from './handlerStack';

/** The Barbican v1 secrets API (functions/v1*.ts) through its real handlers. */
const handlers = {
  list: listHandler,
  create: createHandler,
  get: getHandler,
  payload: payloadHandler,
  delete: deleteHandler,
};

export interface V1Api {
  list(limit: number, offset?: number): Promise<HttpAnswer>;
  create(index: number): Promise<string>;
  get(secretId: string): Promise<HttpAnswer>;
  payload(secretId: string): Promise<HttpAnswer>;
  delete(secretId: string): Promise<HttpAnswer>;
}

/** The v1 endpoints as one caller sees them, naming the workspace as Barbican's project. */
export function v1Api(stack: HandlerStack, workspaceId: string, apiKey: string): V1Api {
  const headers = { 'x-auth-token': apiKey, 'x-project-id': workspaceId, accept: 'application/json' };
  const call = async (
    handler: LambdaHandler,
    request: {
      method: string;
      route: string;
      secretId?: string;
      query?: string;
      body?: unknown;
      accept?: string;
    },
    expected: number,
  ) => {
    const answer = await stack.invoke(handler, {
      method: request.method,
      route: request.route,
      pathParameters: request.secretId === undefined ? {} : { secretId: request.secretId },
      ...(request.query === undefined ? {} : { query: request.query }),
      headers: { ...headers, ...(request.accept ? { accept: request.accept } : {}) },
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    if (answer.statusCode !== expected) {
      throw new Error(
        `v1 ${request.method} ${request.route} answered ${answer.statusCode}: ${JSON.stringify(answer.body)}`,
      );
    }
    return answer;
  };
  return {
    list: (limit, offset = 0) =>
      call(
        handlers.list,
        { method: 'GET', route: '/v1/secrets', query: `offset=${offset}&limit=${limit}` },
        200,
      ),
    create: async (index) => {
      const answer = await call(
        handlers.create,
        {
          method: 'POST',
          route: '/v1/secrets',
          body: {
            name: `bench-${index}`,
            payload: `payload-${index}-`.padEnd(64, 'x'),
            payload_content_type: 'text/plain',
          },
        },
        201,
      );
      const ref = (answer.body as { secret_ref: string }).secret_ref;
      return ref.replace(/^.*\//, '');
    },
    get: (secretId) => call(handlers.get, { method: 'GET', route: '/v1/secrets/{secretId}', secretId }, 200),
    payload: (secretId) =>
      call(
        handlers.payload,
        { method: 'GET', route: '/v1/secrets/{secretId}/payload', secretId, accept: 'text/plain' },
        200,
      ),
    delete: (secretId) =>
      call(handlers.delete, { method: 'DELETE', route: '/v1/secrets/{secretId}', secretId }, 204),
  };
}
