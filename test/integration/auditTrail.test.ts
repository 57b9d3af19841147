/**
 * "A request whose audit record cannot be written fails rather than going unrecorded": the real
 * handlers, in process, with the audit trail's store pointed at a table that does not exist (a
 * real failure of DynamoDB Local, not a fake), and with it working again.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { handler as secretsCreate } from '../../functions/secretsCreate';
import { handler as secretsGet } from '../../functions/secretsGet';
import { handler as secretsPatch } from '../../functions/secretsPatch';
import type { Membership } from '../../lib/model';
import { createSecret } from '../../lib/secrets/useCases';
import { provideServices, type Services } from '../../lib/services';
import { AuditStore } from '../../lib/store/audit';
import { Table } from '../../lib/store/table';
import { createWorld, secretDocument, membershipOf, type World } from '../support/fixtures';
import { invokeHttp } from '../support/lambdaEvents';
import { startTestStack, type TestStack } from '../support/localStack';

let stack: TestStack;
let world: World;
let membership: Membership;
let broken: Services;
let secretId: string;

const SECRETS = '/v2/workspaces/{workspaceId}/secrets';
const SECRET = '/v2/workspaces/{workspaceId}/secrets/{secretId}';

beforeAll(async () => {
  stack = await startTestStack();
  world = await createWorld(stack.services);
  membership = await membershipOf(stack.services, world.workspaceId, world.admin.id);
  const missing = new Table(DynamoDBDocumentClient.from(stack.dynamoDb), `${stack.tableName}-missing`);
  broken = { ...stack.services, audit: new AuditStore(missing) };
  secretId = (
    await createSecret(stack.services, membership, {
      attributes: { name: 'audited', state: 'ready', error: null, credentials: { api_key: 'sk-unaudited' } },
      authClientId: world.otherClientId,
    })
  ).id;
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const pathParameters = () => ({ workspaceId: world.workspaceId, secretId });

test('without an audit trail, a read of credentials is not answered: 503, and no credential in the body', async () => {
  provideServices(broken);
  const answer = await invokeHttp(secretsGet, {
    method: 'GET',
    route: SECRET,
    pathParameters: pathParameters(),
    user: world.admin,
  });
  expect(answer.statusCode).toBe(503);
  expect(JSON.parse(answer.body ?? '{}').errors[0]).toMatchObject({
    status: '503',
    code: 'audit_unavailable',
  });
  expect(answer.body).not.toContain('sk-unaudited');
});

/** A PATCH of the secret's name through the real handler. */
const rename = (name: string) =>
  invokeHttp(secretsPatch, {
    method: 'PATCH',
    route: SECRET,
    pathParameters: pathParameters(),
    user: world.admin,
    body: { data: { type: 'auth-secret', id: secretId, attributes: { name } } },
  });

test('without an audit trail, a change does not happen, and a create creates nothing', async () => {
  provideServices(broken);
  const before = await stack.services.secrets.get(world.workspaceId, secretId);
  const patched = await rename('changed unrecorded');
  expect(patched.statusCode).toBe(503);
  expect(await stack.services.secrets.get(world.workspaceId, secretId)).toEqual(before);

  const total = async () =>
    (await stack.services.secrets.list(world.workspaceId, {}, { offset: 0, limit: 1 })).total;
  const count = await total();
  const created = await invokeHttp(secretsCreate, {
    method: 'POST',
    route: SECRETS,
    pathParameters: { workspaceId: world.workspaceId },
    user: world.admin,
    body: secretDocument(world.otherClientId),
  });
  expect(created.statusCode).toBe(503);
  expect(await total()).toBe(count);
});

test('with the audit trail back, a change is recorded before it runs and completed with its answer', async () => {
  provideServices(stack.services);
  const patched = await rename('changed, recorded');
  expect(patched.statusCode).toBe(200);
  const { records } = await stack.services.audit.list(
    world.workspaceId,
    { authSecretId: secretId },
    { limit: 10 },
  );
  expect(records.map((record) => [record.action, record.status, record.requestId, record.sourceIp])).toEqual([
    ['auth_secret.update', 200, 'test-request', '127.0.0.1'],
  ]);
});
