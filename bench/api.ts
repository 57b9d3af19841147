import { handler as createHandler } from '../functions/secretsCreate';
import { handler as deleteHandler } from '../functions/secretsDelete';
import { handler as getHandler } from '../functions/secretsGet';
import { handler as listHandler } from '../functions/secretsList';
import { handler as patchHandler } from '../functions/secretsPatch';
import { handler as refreshHandler } from '../functions/secretsRefresh';
import type { HandlerStack, HttpAnswer, HttpRequest, LambdaHandler } from './handlerStack';

/** The v2 secrets endpoints as one caller of one workspace sees them, through the real handlers. */
export interface SecretsApi {
  list(query?: ListQuery): Promise<HttpAnswer>;
  get(secretId: string): Promise<HttpAnswer>;
  create(attributes: Record<string, unknown>, authClientId: string): Promise<HttpAnswer>;
  /** With `authClientId`, the secret moves to that auth-client. */
  patch(secretId: string, attributes: Record<string, unknown>, authClientId?: string): Promise<HttpAnswer>;
  delete(secretId: string): Promise<HttpAnswer>;
  refresh(secretId: string): Promise<HttpAnswer>;
}

export interface ListQuery {
  limit?: number;
  offset?: number;
  /** Keyset paging: the page starts just after this secret id. */
  after?: string;
  user?: string;
  authClient?: string;
}

const SECRETS = '/v2/workspaces/{workspaceId}/secrets';
const SECRET = `${SECRETS}/{secretId}`;

export function listQueryString(query: ListQuery): string {
  const parts: string[] = [];
  if (query.user !== undefined) parts.push(`filter[user]=${query.user}`);
  if (query.authClient !== undefined) parts.push(`filter[auth_client]=${query.authClient}`);
  if (query.offset !== undefined) parts.push(`page[offset]=${query.offset}`);
  if (query.after !== undefined) parts.push(`page[after]=${query.after}`);
  if (query.limit !== undefined) parts.push(`page[limit]=${query.limit}`);
  return parts.join('&');
}

export function secretsApi(stack: HandlerStack, workspaceId: string, apiKey: string): SecretsApi {
  const headers = { 'x-auth-token': apiKey };
  const call = async (handler: LambdaHandler, request: Omit<HttpRequest, 'headers'>, expected: number) => {
    const answer = await stack.invoke(handler, { ...request, headers });
    if (answer.statusCode !== expected) {
      throw new Error(
        `${request.method} ${request.route} answered ${answer.statusCode}, not ${expected}: ${JSON.stringify(answer.body)}`,
      );
    }
    return answer;
  };
  const one = (secretId: string) => ({ workspaceId, secretId });
  return {
    list: (query = {}) =>
      call(
        listHandler,
        { method: 'GET', route: SECRETS, pathParameters: { workspaceId }, query: listQueryString(query) },
        200,
      ),
    get: (secretId) => call(getHandler, { method: 'GET', route: SECRET, pathParameters: one(secretId) }, 200),
    create: (attributes, authClientId) =>
      call(
        createHandler,
        {
          method: 'POST',
          route: SECRETS,
          pathParameters: { workspaceId },
          body: secretDocument(attributes, authClientId),
        },
        201,
      ),
    patch: (secretId, attributes, authClientId) =>
      call(
        patchHandler,
        {
          method: 'PATCH',
          route: SECRET,
          pathParameters: one(secretId),
          body: {
            data: {
              type: 'auth-secret',
              id: secretId,
              attributes,
              ...(authClientId === undefined
                ? {}
                : { relationships: { 'auth-client': { data: { id: authClientId, type: 'auth-client' } } } }),
            },
          },
        },
        200,
      ),
    delete: (secretId) =>
      call(deleteHandler, { method: 'DELETE', route: SECRET, pathParameters: one(secretId) }, 204),
    refresh: (secretId) =>
      call(
        refreshHandler,
        { method: 'POST', route: `${SECRET}/refresh`, pathParameters: one(secretId) },
        200,
      ),
  };
}

/** A create-secret document as the API document's example has it. */
export function secretDocument(attributes: Record<string, unknown>, authClientId: string) {
  return {
    data: {
      type: 'auth-secret',
      attributes: { name: 'Bench secret', state: 'ready', ...attributes },
      relationships: { 'auth-client': { data: { id: authClientId, type: 'auth-client' } } },
    },
  };
}

export const idOf = (answer: HttpAnswer): string => (answer.body as { data: { id: string } }).data.id;

export const oauth2Credentials = (refreshToken = 'refresh-bench', expiresIn = 3600) => ({
  access_token: 'access-bench',
  refresh_token: refreshToken,
  expires_in: expiresIn,
});
