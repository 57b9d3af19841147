import { handler as createHandler } from '../functions/secretsCreate';
import { handler as deleteHandler } from '../functions/secretsDelete';
import { handler as getHandler } from '../functions/secretsGet';
import { handler as listHandler } from '../functions/secretsList';
import { handler as patchHandler } from '../functions/secretsPatch';
import { handler as refreshHandler } from '../functions/secretsRefresh';
import { handler as restoreHandler } from '../functions/secretsRestore';
import { handler as versionsHandler } from '../functions/secretVersionsList';
import { handler as versionHandler } from '../functions/secretVersionGet';
import { handler as versionRestoreHandler } from '../functions/secretVersionRestore';
import type { HandlerStack, HttpAnswer, HttpRequest, LambdaHandler } from './handlerStack';

/** The v2 secrets endpoints as one caller of one workspace sees them, through the real handlers. */
export interface SecretsApi {
  list(query?: ListQuery): Promise<HttpAnswer>;
  get(secretId: string): Promise<HttpAnswer>;
  /** With `idempotencyKey`, sent as the Idempotency-Key header. */
  create(
    attributes: Record<string, unknown>,
    authClientId: string,
    idempotencyKey?: string,
  ): Promise<HttpAnswer>;
  /** With `authClientId`, the secret moves to that auth-client. */
  patch(secretId: string, attributes: Record<string, unknown>, authClientId?: string): Promise<HttpAnswer>;
  /** Recoverably, or with `force` for good. */
  delete(secretId: string, force?: boolean): Promise<HttpAnswer>;
  refresh(secretId: string): Promise<HttpAnswer>;
  restore(secretId: string): Promise<HttpAnswer>;
  versions(secretId: string): Promise<HttpAnswer>;
  version(secretId: string, number: number): Promise<HttpAnswer>;
  restoreVersion(secretId: string, number: number): Promise<HttpAnswer>;
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
  const call = async (handler: LambdaHandler, request: HttpRequest, expected: number) => {
    const answer = await stack.invoke(handler, { ...request, headers: { ...headers, ...request.headers } });
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
    create: (attributes, authClientId, idempotencyKey) =>
      call(
        createHandler,
        {
          method: 'POST',
          route: SECRETS,
          pathParameters: { workspaceId },
          body: secretDocument(attributes, authClientId),
          ...(idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': idempotencyKey } }),
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
    delete: (secretId, force = false) =>
      call(
        deleteHandler,
        {
          method: 'DELETE',
          route: SECRET,
          pathParameters: one(secretId),
          ...(force ? { query: 'force=true' } : {}),
        },
        204,
      ),
    restore: (secretId) =>
      call(
        restoreHandler,
        { method: 'POST', route: `${SECRET}/restore`, pathParameters: one(secretId) },
        200,
      ),
    versions: (secretId) =>
      call(
        versionsHandler,
        { method: 'GET', route: `${SECRET}/versions`, pathParameters: one(secretId) },
        200,
      ),
    version: (secretId, number) =>
      call(
        versionHandler,
        {
          method: 'GET',
          route: `${SECRET}/versions/{versionNumber}`,
          pathParameters: { ...one(secretId), versionNumber: String(number) },
        },
        200,
      ),
    restoreVersion: (secretId, number) =>
      call(
        versionRestoreHandler,
        {
          method: 'POST',
          route: `${SECRET}/versions/{versionNumber}/restore`,
          pathParameters: { ...one(secretId), versionNumber: String(number) },
        },
        200,
      ),
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
