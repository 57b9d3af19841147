import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import tableDefinition from '../lib/store/table-definition.json';
import { REUSE_BUILD_VARIABLES } from './support/server';

/**
 * `serverless package` needs no AWS account: these tests run it as a user would and check the
 * CloudFormation template it writes, and the function bundles beside it.
 */

jest.setTimeout(120_000);

const ROOT = resolve(__dirname, '..');
const EXISTING_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/abc';
const EXISTING_TOPIC_ARN = 'arn:aws:sns:us-east-1:111122223333:on-call';
/** What the package with --param values is given (deploy/http-api.cjs, deploy/alarms.cjs). */
const PARAMS = {
  throttleRate: 50,
  throttleBurst: 75,
  refreshThrottleRate: 2.5,
  refreshThrottleBurst: 4,
  http5xxAlarmPercent: 1.5,
};
const REFRESH_ROUTE = 'POST /v2/workspaces/{workspaceId}/secrets/{secretId}/refresh';
/** CloudFormation's limit of resources in a stack. */
const MAX_RESOURCES = 500;
const MAX_BUNDLE_BYTES = 1024 * 1024;
const CORS_ORIGINS = ['http://localhost:5173', 'https://app.example.com'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Resource {
  Type: string;
  Condition?: string;
  DependsOn?: string | string[];
  Properties?: JsonObject;
}

interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, { Value: Json }>;
}

interface Packaged {
  readonly directory: string;
  readonly template: Template;
}

/** The HTTP endpoints the service serves, each with the function that must answer it alone. */
const ENDPOINTS: Record<string, string> = {
  'GET /v2/workspaces/{workspaceId}/secrets': 'secretsList',
  'POST /v2/workspaces/{workspaceId}/secrets': 'secretsCreate',
  'GET /v2/workspaces/{workspaceId}/secrets/{secretId}': 'secretsGet',
  'PATCH /v2/workspaces/{workspaceId}/secrets/{secretId}': 'secretsPatch',
  'DELETE /v2/workspaces/{workspaceId}/secrets/{secretId}': 'secretsDelete',
  'POST /v2/workspaces/{workspaceId}/secrets/{secretId}/refresh': 'secretsRefresh',
  'GET /v2/workspaces/{workspaceId}': 'workspacesGet',
  'GET /v2/users/{userId}': 'usersGet',
  'GET /v2/tenants/{tenantId}/auth-clients': 'authClientsList',
  'POST /v2/tenants/{tenantId}/auth-clients': 'authClientsCreate',
  'GET /v2/tenants/{tenantId}/auth-clients/{authClientId}': 'authClientsGet',
  'PATCH /v2/tenants/{tenantId}/auth-clients/{authClientId}': 'authClientsPatch',
  'DELETE /v2/tenants/{tenantId}/auth-clients/{authClientId}': 'authClientsDelete',
  'GET /v1/secrets': 'v1SecretsList',
  'POST /v1/secrets': 'v1SecretsCreate',
  'GET /v1/secrets/{secretId}': 'v1SecretsGet',
  'PUT /v1/secrets/{secretId}': 'v1SecretsPut',
  'DELETE /v1/secrets/{secretId}': 'v1SecretsDelete',
  'GET /v1/secrets/{secretId}/payload': 'v1SecretsPayloadGet',
  'GET /v1/secrets/{secretId}/metadata': 'v1SecretsMetadataGet',
  'PUT /v1/secrets/{secretId}/metadata': 'v1SecretsMetadataPut',
  'POST /v1/secrets/{secretId}/metadata': 'v1SecretsMetadataPost',
  'GET /v1/secrets/{secretId}/metadata/{key}': 'v1SecretsMetadatumGet',
  'PUT /v1/secrets/{secretId}/metadata/{key}': 'v1SecretsMetadatumPut',
  'DELETE /v1/secrets/{secretId}/metadata/{key}': 'v1SecretsMetadatumDelete',
  'GET /v2/tenants/{tenantId}/webhooks': 'webhooksList',
  'POST /v2/tenants/{tenantId}/webhooks': 'webhooksCreate',
  'GET /v2/tenants/{tenantId}/webhooks/{webhookId}': 'webhooksGet',
  'PATCH /v2/tenants/{tenantId}/webhooks/{webhookId}': 'webhooksPatch',
  'DELETE /v2/tenants/{tenantId}/webhooks/{webhookId}': 'webhooksDelete',
  'GET /v2/tenants/{tenantId}/webhooks/{webhookId}/deliveries': 'webhookDeliveriesList',
  'GET /v2/workspaces/{workspaceId}/events': 'eventsList',
  'GET /v2/workspaces/{workspaceId}/audit-events': 'auditEventsList',
  'POST /v2/workspaces/{workspaceId}/connect-sessions': 'connectSessionsCreate',
  'GET /v2/oauth/callback': 'oauthCallback',
  'GET /v2/openapi.json': 'openapiV2',
  'GET /v1/openapi.json': 'openapiV1',
};

interface Access {
  readonly actions: string[];
  /** The encryption-context purposes its KMS calls use: secrets' credentials, auth-clients' secrets. */
  readonly purposes?: string[];
}

const AUTHENTICATE = 'dynamodb:BatchGetItem';
const SECRET = ['auth-secret'];
const CLIENT = ['auth-client'];
const BARBICAN = ['barbican-secret'];
const WEBHOOK = ['webhook'];
const CONNECT_SESSION = ['connect-session'];
/** A create's answer kept for its Idempotency-Key is sealed under its own purpose. */
const IDEMPOTENT = ['idempotent-answer'];
/**
 * What Idempotency-Key adds to a create: the key's record claimed (PutItem, GetItem when taken),
 * completed (UpdateItem) or given up (DeleteItem), its answer sealed and, on a replay, opened.
 */
const IDEMPOTENT_CREATE = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'kms:GenerateDataKey',
  'kms:Decrypt',
];
/** Every v1 function may Query the caller's memberships: without X-Project-Id, their only workspace is used. */
const MEMBERSHIPS = 'dynamodb:Query';
/** A secret counted into its lists: see deploy/iam-roles.cjs. */
const COUNTED_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
];

/**
 * What each function does, and so all its role may allow besides writing its own logs. Every
 * HTTP function authenticates with one BatchGetItem (API key + membership or tenant grant).
 * A function missing here has permissions nobody has reviewed: the test asks for an entry.
 */
const LEAST_PRIVILEGE: Record<string, Access> = {
  // GetItem of the list's counter, Query of its block counts and of the filter's index,
  // BatchGetItem for the page, Decrypt for the credentials.
  secretsList: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query', 'kms:Decrypt'],
    purposes: SECRET,
  },
  // GetItem of the auth-client; one transaction: PutItem of the new secret (and of a new list
  // block), UpdateItem of list counts and the client's usage, ConditionCheckItem of the client;
  // Query for the block of an old id (rare); one data key to seal it.
  // The same transaction also puts the credentials' version 1 (PutItem).
  // A client_credentials secret's first token: the client secret is opened (Decrypt, purpose auth-client).
  secretsCreate: {
    actions: [AUTHENTICATE, ...COUNTED_WRITE, ...IDEMPOTENT_CREATE],
    purposes: [...SECRET, ...CLIENT, ...IDEMPOTENT],
  },
  // GetItem of the auth-client (and of the secret to reconnect), PutItem of the session, its PKCE
  // verifier sealed under its own purpose.
  connectSessionsCreate: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:PutItem', 'kms:GenerateDataKey'],
    purposes: CONNECT_SESSION,
  },
  // No caller to authenticate: the session is taken (DeleteItem) and the creator's membership, the
  // auth-client and the secret read (GetItem); the verifier and client secret opened; the secret
  // created or its credentials replaced with their version (a counted write, DeleteItem of the
  // oldest version), sealed. A reconnect that brings a secret out of error moves it between its
  // state's lists, whose totals it reads (BatchGetItem).
  oauthCallback: {
    actions: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      ...COUNTED_WRITE,
      'dynamodb:DeleteItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ],
    purposes: [...CONNECT_SESSION, ...CLIENT, ...SECRET],
  },
  secretsGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'kms:Decrypt'], purposes: SECRET },
  // New credentials: a version put, and the oldest kept one deleted, in the write's transaction.
  secretsPatch: {
    actions: [
      AUTHENTICATE,
      'dynamodb:GetItem',
      ...COUNTED_WRITE,
      'dynamodb:DeleteItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ],
    purposes: SECRET,
  },
  // A recoverable delete moves the secret to the deleted list (a counted write: PutItem of it,
  // UpdateItem of counts, Query for an old id's block); ?force=true deletes it with its versions.
  secretsDelete: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', ...COUNTED_WRITE, 'dynamodb:DeleteItem'],
  },
  // Back from the deleted list into its lists, counted into its auth-client's usage (which checks
  // the client is there: ConditionCheckItem); answers with the credentials.
  secretsRestore: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', ...COUNTED_WRITE, 'kms:Decrypt'],
    purposes: SECRET,
  },
  // Query of the secret's versions (after a GetItem of the secret).
  secretVersionsList: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  secretVersionGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'kms:Decrypt'], purposes: SECRET },
  // As a PATCH of credentials; the sealed version is copied, and opened for the answer.
  secretVersionRestore: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', ...COUNTED_WRITE, 'dynamodb:DeleteItem', 'kms:Decrypt'],
    purposes: SECRET,
  },
  // Query of the purge partitions of the due index; each expired secret read (GetItem) and
  // deleted with its versions (DeleteItem) and its deleted-list counts (UpdateItem).
  purgeDeleted: {
    actions: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  },
  // Lease (UpdateItem), auth-client and secret reads, save under the lease (PutItem; with new
  // credentials, a version put and the oldest deleted); opens the client secret and the
  // credentials, seals the new credentials.
  secretsRefresh: {
    actions: [
      AUTHENTICATE,
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ],
    purposes: [...SECRET, ...CLIENT],
  },
  // The same, found through the due index instead of a request, and without a caller to authenticate.
  refreshDue: {
    actions: [
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ],
    purposes: [...SECRET, ...CLIENT],
  },
  workspacesGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem'] },
  // Query of the caller's and the user's memberships.
  usersGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  authClientsList: { actions: [AUTHENTICATE, 'dynamodb:Query'] },
  authClientsGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  authClientsCreate: {
    actions: [AUTHENTICATE, ...IDEMPOTENT_CREATE],
    purposes: [...CLIENT, ...IDEMPOTENT],
  },
  authClientsPatch: {
    actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:PutItem', 'kms:GenerateDataKey'],
    purposes: CLIENT,
  },
  // One transaction deletes the client and its usage (409 while secrets use it); a cascade marks
  // it (ConditionCheckItem + UpdateItem), Queries its secrets and deletes them recoverably as
  // secretsDelete does (PutItem into the deleted list).
  authClientsDelete: {
    actions: [
      AUTHENTICATE,
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
    ],
  },
  // The v1 (Barbican) API: the list reads its counts (BatchGetItem) and Queries the block counts
  // and its INCLUDE index; no payload read, no KMS.
  v1SecretsList: { actions: [AUTHENTICATE, MEMBERSHIPS] },
  // One transaction: PutItem of the secret, UpdateItem (or PutItem) of its list counts.
  v1SecretsCreate: {
    actions: [AUTHENTICATE, MEMBERSHIPS, ...IDEMPOTENT_CREATE],
    purposes: [...BARBICAN, ...IDEMPOTENT],
  },
  // Metadata, or (with a non-JSON Accept) the payload, as Barbican's older clients ask for it.
  v1SecretsGet: {
    actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'kms:Decrypt'],
    purposes: BARBICAN,
  },
  v1SecretsPayloadGet: {
    actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'kms:Decrypt'],
    purposes: BARBICAN,
  },
  // The payload of a secret created without one: a conditional UpdateItem, sealed first.
  v1SecretsPut: {
    actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'kms:GenerateDataKey'],
    purposes: BARBICAN,
  },
  // GetItem of the secret (its version and list blocks), then one transaction: DeleteItem of it,
  // UpdateItem of its list counts.
  v1SecretsDelete: {
    actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
  },
  // User metadata lives on the secret's item: read it, change it with a conditional UpdateItem.
  v1SecretsMetadataGet: { actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem'] },
  v1SecretsMetadataPut: { actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  v1SecretsMetadataPost: { actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  v1SecretsMetadatumGet: { actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem'] },
  v1SecretsMetadatumPut: { actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  v1SecretsMetadatumDelete: {
    actions: [AUTHENTICATE, MEMBERSHIPS, 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  },
  // Events: the stream's records in (its four read actions), events and deliveries stored
  // (PutItem; GetItem of a delivery made by an earlier try), the tenant's webhooks read (Query),
  // the bus and the delivery queue out, and failed batches to the dead-letter queue.
  publishEvents: {
    actions: [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'events:PutEvents',
      'sqs:SendMessage',
    ],
  },
  // One delivery: read it and its webhook, open the signing secret, record the attempt; SQS
  // receives, deletes and delays (ChangeMessageVisibility) its messages.
  deliverWebhooks: {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'kms:Decrypt',
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ],
    purposes: WEBHOOK,
  },
  webhooksList: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  webhooksCreate: {
    actions: [AUTHENTICATE, ...IDEMPOTENT_CREATE],
    purposes: [...WEBHOOK, ...IDEMPOTENT],
  },
  webhooksGet: { actions: [AUTHENTICATE, 'dynamodb:GetItem'] },
  webhooksPatch: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:PutItem'] },
  webhooksDelete: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:DeleteItem'] },
  webhookDeliveriesList: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  eventsList: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  auditEventsList: { actions: [AUTHENTICATE, 'dynamodb:GetItem', 'dynamodb:Query'] },
  // The OpenAPI documents are in the bundle: nothing read, nothing written, not even audit.
  openapiV2: { actions: [] },
  openapiV1: { actions: [] },
};
/**
 * Every HTTP function (and the schedule) writes audit records: PutItem, limited to the audit
 * partitions where the function writes nothing else.
 */
const AUDIT_WRITE = 'dynamodb:PutItem';
const WITHOUT_AUDIT = new Set(['publishEvents', 'deliverWebhooks', 'purgeDeleted', 'openapiV2', 'openapiV1']);
const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** Active tracing: every function sends its traces. X-Ray has no resource to name, so `*`. */
const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

async function serverlessPackage(
  stage: string,
  extraArgs: string[] = [],
  extraEnv: Record<string, string> = {},
  { bundles = 'reuse' }: { bundles?: 'build' | 'reuse' } = {},
): Promise<Packaged> {
  const directory = mkdtempSync(join(tmpdir(), `auth-secrets-package-${stage}-`));
  // Nothing from this shell may leak into the template (TABLE_NAME and the local-mode switch would).
  // `reuse`: the run's bundles (built by its first local server with the same esbuild options, see
  // test/support/reuseBuild.cjs) go into the zips instead of bundling every function again.
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) =>
          ![
            'TABLE_NAME',
            'AUTH_SECRETS_MODE',
            'LOCAL_KEY_FILE',
            'KMS_KEY_ID',
            'CORS_ALLOWED_ORIGINS',
            'LOG_LEVEL',
            ...(bundles === 'build' ? REUSE_BUILD_VARIABLES : []),
          ].includes(name),
      ),
    ),
    ...extraEnv,
  };
  try {
    await promisify(execFile)(
      join(ROOT, 'node_modules', '.bin', 'serverless'),
      ['package', '--stage', stage, '--package', directory, ...extraArgs],
      { cwd: ROOT, env, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`serverless package --stage ${stage} failed:\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
  const template = JSON.parse(
    readFileSync(join(directory, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  return { directory, template };
}

let dev: Packaged;
let prod: Packaged;
/** dev with an existing key and alarm topic, and throttling and alarm parameters of its own. */
let withParams: Packaged;
let withCors: Packaged;

beforeAll(async () => {
  // One after the other: serverless-esbuild shares its work folder (.esbuild/) between runs.
  // dev bundles every function itself, as `npm run package` does: its zips are the ones inspected.
  dev = await serverlessPackage('dev', [], {}, { bundles: 'build' });
  prod = await serverlessPackage('prod');
  withParams = await serverlessPackage('dev', [
    `--param=kmsKeyArn=${EXISTING_KEY_ARN}`,
    `--param=alarmTopicArn=${EXISTING_TOPIC_ARN}`,
    ...Object.entries(PARAMS).map(([name, value]) => `--param=${name}=${value}`),
  ]);
  withCors = await serverlessPackage('dev', [], { CORS_ALLOWED_ORIGINS: CORS_ORIGINS.join(' , ') });
  // One package bundling every function and three reusing bundles: about 30 s on an idle 2-core
  // machine, more while the rest of the suite shares the cores.
}, 420_000);

// ---- reading the template ---------------------------------------------------------------------

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
}

function conditionHolds(template: Template, name: string): boolean {
  const condition = template.Conditions?.[name];
  if (condition === undefined) throw new Error(`no condition ${name}`);
  return evaluateCondition(template, condition);
}

function evaluateCondition(template: Template, condition: Json): boolean {
  if (!isObject(condition)) throw new Error(`cannot evaluate condition ${JSON.stringify(condition)}`);
  const [[fn, args] = ['', null]] = Object.entries(condition);
  const list = Array.isArray(args) ? args : [];
  switch (fn) {
    case 'Fn::Equals': {
      const [left, right] = list.map((value) => resolveValue(template, value));
      return JSON.stringify(left) === JSON.stringify(right);
    }
    case 'Fn::Not':
      return !evaluateCondition(template, list[0] ?? null);
    case 'Fn::And':
      return list.every((item) => evaluateCondition(template, item));
    case 'Fn::Or':
      return list.some((item) => evaluateCondition(template, item));
    case 'Condition':
      return conditionHolds(template, String(args));
    default:
      throw new Error(`cannot evaluate condition ${fn}`);
  }
}

/** The value with every Fn::If decided, as CloudFormation would deploy it. */
function resolveValue(template: Template, value: Json): Json {
  if (Array.isArray(value)) return value.map((item) => resolveValue(template, item));
  if (!isObject(value)) return value;
  const branches = value['Fn::If'];
  if (Array.isArray(branches) && Object.keys(value).length === 1) {
    const [name, whenTrue = null, whenFalse = null] = branches;
    return resolveValue(template, conditionHolds(template, String(name)) ? whenTrue : whenFalse);
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveValue(template, item)]));
}

/** The resources CloudFormation creates: those without a condition or whose condition holds. */
function createdResources(template: Template, type: string): Array<[string, Resource]> {
  return resourcesOfType(template, type).filter(
    ([, resource]) => resource.Condition === undefined || conditionHolds(template, resource.Condition),
  );
}

function tableOf(template: Template): [string, JsonObject] {
  const tables = createdResources(template, 'AWS::DynamoDB::Table');
  expect(tables).toHaveLength(1);
  const [logicalId, table] = tables[0] ?? ['', { Type: '' }];
  return [logicalId, table.Properties ?? {}];
}

interface FunctionInfo {
  readonly logicalId: string;
  /** The function's key in serverless.yml. */
  readonly name: string;
  readonly properties: JsonObject;
}

function functionsOf(template: Template): FunctionInfo[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => {
    const properties = resource.Properties ?? {};
    const handler = String(properties.Handler);
    return { logicalId, name: handler.replace(/^functions\//, '').replace(/\.[^.]+$/, ''), properties };
  });
}

function roleOf(template: Template, fn: FunctionInfo): [string, Resource] {
  const role = fn.properties.Role;
  const roleId = getAttOf(role) ?? '';
  const resource = template.Resources[roleId];
  if (!resource || resource.Type !== 'AWS::IAM::Role') {
    throw new Error(`${fn.name} has no role of its own in the template: ${JSON.stringify(role)}`);
  }
  return [roleId, resource];
}

interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: Json[];
  readonly Condition?: Json;
}

const asList = (value: Json | undefined): Json[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Every statement of a role's inline policies, and of policies attached to it in the template. */
function statementsOf(template: Template, roleId: string): Statement[] {
  const role = template.Resources[roleId];
  const inline = asList(role?.Properties?.Policies);
  const attached = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy' || resource.Type === 'AWS::IAM::ManagedPolicy')
    .filter((resource) =>
      asList(resource.Properties?.Roles).some((ref) => isObject(ref) && ref.Ref === roleId),
    )
    .map((resource) => ({ PolicyDocument: resource.Properties?.PolicyDocument ?? null }));
  return [...inline, ...attached].flatMap((policy) => {
    const document = isObject(policy) ? policy.PolicyDocument : undefined;
    const statements = isObject(document) ? asList(document.Statement) : [];
    return statements.map((statement) => {
      const object = isObject(statement) ? statement : {};
      return {
        Effect: String(object.Effect),
        Action: asList(object.Action).map(String),
        Resource: asList(resolveValue(template, object.Resource ?? null)),
        ...(object.Condition === undefined ? {} : { Condition: object.Condition }),
      };
    });
  });
}

/** The entry names of a zip archive, read from its central directory. */
function zipEntries(file: string): string[] {
  const buffer = readFileSync(file);
  const end = buffer.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end < 0) throw new Error(`${file} is not a zip archive`);
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  const names: string[] = [];
  for (let index = 0; index < count; index++) {
    if (buffer.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    names.push(buffer.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

const getAttArn = (logicalId: string) => ({ 'Fn::GetAtt': [logicalId, 'Arn'] });

interface Alarm {
  readonly logicalId: string;
  /** The alarm's properties, with every Fn::If decided. */
  readonly properties: JsonObject;
}

/** Every CloudWatch alarm the stack creates. */
function alarmsOf(template: Template): Alarm[] {
  return createdResources(template, 'AWS::CloudWatch::Alarm').map(([logicalId, resource]) => {
    const properties = resolveValue(template, resource.Properties ?? {});
    return { logicalId, properties: isObject(properties) ? properties : {} };
  });
}

/** The alarms on one metric (a single-metric alarm), matched on namespace, name and dimensions. */
function alarmsOn(
  template: Template,
  namespace: string,
  metricName: string,
  dimensions: JsonObject,
): Alarm[] {
  const wanted = Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value }));
  return alarmsOf(template).filter(
    ({ properties }) =>
      properties.Namespace === namespace &&
      properties.MetricName === metricName &&
      JSON.stringify(properties.Dimensions) === JSON.stringify(wanted),
  );
}

/** An alarm on a single metric that fires once the metric's 5-minute statistic is above `threshold`. */
const singleMetricAlarm = (statistic: string, threshold: number, periods = 1) =>
  expect.objectContaining({
    Statistic: statistic,
    Period: 300,
    EvaluationPeriods: periods,
    Threshold: threshold,
    ComparisonOperator: 'GreaterThanThreshold',
    TreatMissingData: 'notBreaching',
  });

/** The queues failed work ends up in: queues' redrive targets and stream mappings' on-failure destinations. */
function deadLetterQueuesOf(template: Template): string[] {
  const redriveTargets = resourcesOfType(template, 'AWS::SQS::Queue').map(
    ([, queue]) => (queue.Properties?.RedrivePolicy as JsonObject | undefined)?.deadLetterTargetArn,
  );
  const onFailure = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(
    ([, mapping]) =>
      ((mapping.Properties?.DestinationConfig as JsonObject | undefined)?.OnFailure as JsonObject | undefined)
        ?.Destination,
  );
  return [...new Set([...redriveTargets, ...onFailure].flatMap((arn) => getAttOf(arn) ?? []))].sort();
}

const getAttOf = (value: Json | undefined): string | undefined => {
  const getAtt = isObject(value) ? value['Fn::GetAtt'] : undefined;
  return Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
};

function httpApiStageOf(template: Template): Resource {
  const stages = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');
  expect(stages).toHaveLength(1);
  return stages[0]?.[1] ?? { Type: '' };
}

/** A function's environment as deployed. */
function environmentOf(template: Template, fn: FunctionInfo): JsonObject {
  const variables = resolveValue(template, fn.properties.Environment ?? null);
  return isObject(variables) && isObject(variables.Variables) ? variables.Variables : {};
}

// ---- the tests ------------------------------------------------------------------------------------

describe('serverless package', () => {
  test('an HTTP API routes each endpoint to a function of its own', () => {
    // Prepare
    const { template } = dev;
    const integrations = new Map(resourcesOfType(template, 'AWS::ApiGatewayV2::Integration'));

    // Act
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => {
      const target = JSON.stringify(route.Properties?.Target);
      const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1] ?? '';
      const functionId = getAttOf(integrations.get(integrationId)?.Properties?.IntegrationUri) ?? '';
      const fn = functionsOf(template).find((candidate) => candidate.logicalId === functionId);
      return [String(route.Properties?.RouteKey), fn?.name ?? `(no function: ${functionId})`] as const;
    });

    // Assess
    const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api');
    expect(apis).toHaveLength(1);
    expect(apis[0]?.[1].Properties?.ProtocolType).toBe('HTTP');
    expect(Object.fromEntries(routes)).toEqual(expect.objectContaining(ENDPOINTS));
    const routedFunctions = routes.map(([, name]) => name);
    expect(new Set(routedFunctions).size).toBe(routedFunctions.length);
  });

  test('every function runs on nodejs22.x from a small bundle of its own', () => {
    // Prepare
    const functions = functionsOf(dev.template);

    // Act
    const bundles = functions.map((fn) => {
      const code = fn.properties.Code;
      const zip = join(dev.directory, basename(String(isObject(code) ? code.S3Key : '')));
      return { fn, zip, exists: existsSync(zip) };
    });

    // Assess
    expect(functions.map((fn) => fn.name)).toEqual(expect.arrayContaining(Object.values(ENDPOINTS)));
    expect(new Set(bundles.map((bundle) => bundle.zip)).size).toBe(functions.length);
    for (const { fn, zip, exists } of bundles) {
      expect({ name: fn.name, runtime: fn.properties.Runtime, exists }).toEqual({
        name: fn.name,
        runtime: 'nodejs22.x',
        exists: true,
      });
      expect({ name: fn.name, bytes: statSync(zip).size }).toEqual({
        name: fn.name,
        bytes: expect.any(Number),
      });
      expect(statSync(zip).size).toBeLessThan(MAX_BUNDLE_BYTES);
      const entries = zipEntries(zip);
      const handlerFile = String(fn.properties.Handler).replace(/\.[^.]+$/, '');
      expect(entries.some((entry) => /\.(mjs|cjs|js)$/.test(entry) && entry.startsWith(handlerFile))).toBe(
        true,
      );
      expect(entries.filter((entry) => entry.startsWith('node_modules/'))).toEqual([]);
    }
  });

  test('the table is on demand, with point-in-time recovery and the key schema the code uses', () => {
    // Act
    const [, table] = tableOf(dev.template);

    // Assess
    expect(table).toMatchObject({
      TableName: 'auth-secrets-dev',
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      KeySchema: tableDefinition.KeySchema,
      AttributeDefinitions: tableDefinition.AttributeDefinitions,
      GlobalSecondaryIndexes: tableDefinition.GlobalSecondaryIndexes,
    });
    expect(table.ProvisionedThroughput).toBeUndefined();
  });

  test('deletion protection is off on dev and on for other stages', () => {
    // Act
    const [, devTable] = tableOf(dev.template);
    const [, prodTable] = tableOf(prod.template);

    // Assess
    expect(devTable.DeletionProtectionEnabled).toBe(false);
    expect(prodTable).toMatchObject({
      TableName: 'auth-secrets-prod',
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  test('a KMS key with rotation is created, and every function is configured with it and the table', () => {
    // Prepare
    const { template } = dev;
    const [tableId, table] = tableOf(template);

    // Act
    const keys = createdResources(template, 'AWS::KMS::Key');

    // Assess
    expect(keys).toHaveLength(1);
    const [keyId, key] = keys[0] ?? ['', { Type: '' }];
    expect(key.Properties?.EnableKeyRotation).toBe(true);
    for (const fn of functionsOf(template)) {
      const env = environmentOf(template, fn);
      expect({ name: fn.name, kms: env.KMS_KEY_ID }).toEqual({ name: fn.name, kms: getAttArn(keyId) });
      expect([table.TableName, { Ref: tableId }]).toContainEqual(env.TABLE_NAME);
      expect(env.LOCAL_KEY_FILE ?? '').toBe('');
    }
  });

  test('with --param kmsKeyArn no key is created, and functions and roles use the given key', () => {
    // Prepare
    const { template } = withParams;

    // Act
    const keys = createdResources(template, 'AWS::KMS::Key');

    // Assess
    expect(keys).toEqual([]);
    for (const fn of functionsOf(template)) {
      const env = environmentOf(template, fn);
      expect({ name: fn.name, kms: env.KMS_KEY_ID }).toEqual({ name: fn.name, kms: EXISTING_KEY_ARN });
      const [roleId] = roleOf(template, fn);
      for (const statement of statementsOf(template, roleId)) {
        if (statement.Action.some((action) => action.startsWith('kms:'))) {
          expect(statement.Resource).toEqual([EXISTING_KEY_ARN]);
        }
      }
    }
  });

  test.each([
    ['dev', () => dev],
    ['prod', () => prod],
    ['dev with --param values', () => withParams],
  ])(
    'IAM (%s): every action is explicit, nothing may Scan, and nothing applies to every resource',
    (_name, packaged) => {
      // Prepare
      const { template } = packaged();
      const text = JSON.stringify(template);
      const roleIds = resourcesOfType(template, 'AWS::IAM::Role').map(([roleId]) => roleId);

      // Act
      const statements = roleIds.flatMap((roleId) => statementsOf(template, roleId));

      // Assess
      expect(text).not.toMatch(/dynamodb:Scan/i);
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        expect(statement.Action.filter((action) => action.includes('*'))).toEqual([]);
        expect(statement.Resource.length).toBeGreaterThan(0);
        // X-Ray's write actions name no resource: `*` for them alone, in a statement of their own.
        if (statement.Resource.includes('*')) {
          expect({ actions: [...statement.Action].sort(), resource: statement.Resource }).toEqual({
            actions: XRAY_ACTIONS,
            resource: ['*'],
          });
        }
      }
    },
  );

  test('each function has a role of its own, allowing only what that function does', () => {
    // Prepare
    const { template } = dev;
    const functions = functionsOf(template);
    const [tableId] = tableOf(template);
    const [keyId = ''] = createdResources(template, 'AWS::KMS::Key')[0] ?? [];

    // Act
    const roles = functions.map((fn) => ({ fn, roleId: roleOf(template, fn)[0] }));

    // Assess
    expect(functions.map((fn) => fn.name).sort()).toEqual(Object.keys(LEAST_PRIVILEGE).sort());
    expect(new Set(roles.map(({ roleId }) => roleId)).size).toBe(functions.length);
    for (const { fn, roleId } of roles) {
      const access = LEAST_PRIVILEGE[fn.name] ?? { actions: [] };
      const statements = statementsOf(template, roleId);
      const actions = [...new Set(statements.flatMap((statement) => statement.Action))].sort();
      expect({ name: fn.name, actions }).toEqual({
        name: fn.name,
        actions: [
          ...new Set([
            ...access.actions,
            ...(WITHOUT_AUDIT.has(fn.name) ? [] : [AUDIT_WRITE]),
            ...LOG_ACTIONS,
            ...XRAY_ACTIONS,
          ]),
        ].sort(),
      });
      for (const statement of statements) {
        if (statement.Action.some((action) => action.startsWith('dynamodb:'))) {
          for (const resource of statement.Resource)
            expect(JSON.stringify(resource)).toContain(`"${tableId}"`);
        }
        if (statement.Action.some((action) => action.startsWith('kms:'))) {
          expect(statement.Resource).toEqual([getAttArn(keyId)]);
          const purposes = JSON.stringify(statement.Condition ?? {});
          expect({ name: fn.name, condition: statement.Condition }).toEqual({
            name: fn.name,
            condition: {
              StringEquals: { 'kms:EncryptionContext:purpose': expect.anything() },
            },
          });
          for (const purpose of ['auth-secret', 'auth-client', 'barbican-secret', 'webhook']) {
            expect({ name: fn.name, purpose, allowed: purposes.includes(`"${purpose}"`) }).toEqual({
              name: fn.name,
              purpose,
              allowed: (access.purposes ?? []).includes(purpose),
            });
          }
        }
        // Where PutItem is only there for the audit trail, it reaches only the audit partitions.
        if (!access.actions.includes(AUDIT_WRITE) && statement.Action.includes(AUDIT_WRITE)) {
          expect({ name: fn.name, actions: statement.Action, condition: statement.Condition }).toEqual({
            name: fn.name,
            actions: [AUDIT_WRITE],
            condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
          });
        }
        if (statement.Action.some((action) => action.startsWith('logs:'))) {
          expect(JSON.stringify(statement.Resource)).toContain(`/aws/lambda/auth-secrets-dev-${fn.name}:`);
        }
      }
    }
  });

  test('the scheduled refresh runs on an EventBridge schedule, not behind the HTTP API', () => {
    // Prepare
    const { template } = dev;
    const refreshDue = functionsOf(template).find((fn) => fn.name === 'refreshDue');

    // Act
    const rules = resourcesOfType(template, 'AWS::Events::Rule').filter(([, rule]) =>
      JSON.stringify(rule.Properties?.Targets ?? []).includes(`"${refreshDue?.logicalId}"`),
    );

    // Assess
    expect(rules).toHaveLength(1);
    expect(String(rules[0]?.[1].Properties?.ScheduleExpression)).toMatch(/^(rate|cron)\(/);
    expect(rules[0]?.[1].Properties?.State).toBe('ENABLED');
  });

  test('events: the table streams auth-secret writes to publishEvents (retried, then a dead-letter queue), to a bus of the stack and a delivery queue with its own dead-letter queue', () => {
    // Prepare
    const { template } = dev;
    const [tableId, table] = tableOf(template);
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, mapping]) => ({
      fn: functionsOf(template).find((candidate) =>
        JSON.stringify(mapping.Properties?.FunctionName).includes(`"${candidate.logicalId}"`),
      )?.name,
      properties: mapping.Properties ?? {},
    }));
    const queues = Object.fromEntries(resourcesOfType(template, 'AWS::SQS::Queue'));

    // Assess: the stream, with old and new images, and the TTL attribute events expire by.
    expect(table.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAtEpoch', Enabled: true });
    const stream = mappings.find((mapping) => mapping.fn === 'publishEvents')?.properties;
    expect(stream).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      DestinationConfig: { OnFailure: { Destination: getAttArn('EventsDeadLetterQueue') } },
    });
    const filters = (stream?.FilterCriteria as JsonObject | undefined)?.Filters;
    expect(asList(filters).map((filter) => JSON.parse(String((filter as JsonObject).Pattern)))).toEqual([
      { dynamodb: { Keys: { sk: { S: [{ prefix: 'SECRET#' }] } } } },
    ]);
    // Deliveries: batches report their failures, which stay in the queue until their backoff ends.
    expect(mappings.find((mapping) => mapping.fn === 'deliverWebhooks')?.properties).toMatchObject({
      EventSourceArn: getAttArn('WebhookQueue'),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const deliverTimeout = Number(
      functionsOf(template).find((fn) => fn.name === 'deliverWebhooks')?.properties.Timeout,
    );
    expect(queues.WebhookQueue?.Properties).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: getAttArn('WebhookDeadLetterQueue') },
      SqsManagedSseEnabled: true,
    });
    // AWS asks for a visibility timeout of at least six times the function's timeout.
    expect(Number(queues.WebhookQueue?.Properties?.VisibilityTimeout)).toBeGreaterThanOrEqual(
      6 * deliverTimeout,
    );
    expect(queues.WebhookDeadLetterQueue).toBeDefined();
    expect(resourcesOfType(template, 'AWS::Events::EventBus')).toHaveLength(1);
    // Every function knows the bus and the queue, as CloudFormation names them.
    for (const fn of functionsOf(template)) {
      const variables = ((fn.properties.Environment as JsonObject | undefined)?.Variables ??
        {}) as JsonObject;
      expect({ fn: fn.name, bus: variables.EVENT_BUS_NAME, queue: variables.WEBHOOK_QUEUE_URL }).toEqual({
        fn: fn.name,
        bus: { Ref: 'EventBus' },
        queue: { Ref: 'WebhookQueue' },
      });
    }
  });

  test('the KMS key is retained when the stack goes, like the table', () => {
    // Prepare
    const { template } = prod;

    // Act
    const retained = [
      ...createdResources(template, 'AWS::KMS::Key'),
      ...createdResources(template, 'AWS::DynamoDB::Table'),
    ].map(
      ([logicalId]) =>
        (template.Resources[logicalId] as Resource & { DeletionPolicy?: string }).DeletionPolicy,
    );

    // Assess
    expect(retained).toEqual(['Retain', 'Retain']);
  });

  test('CORS is off unless CORS_ALLOWED_ORIGINS is set, on every stage', () => {
    // Act
    const corsConfigurations = [dev, prod, withParams].flatMap(({ template }) =>
      resourcesOfType(template, 'AWS::ApiGatewayV2::Api').map(([, api]) => api.Properties?.CorsConfiguration),
    );

    // Assess
    expect(corsConfigurations).toEqual([undefined, undefined, undefined]);
  });

  test('with CORS_ALLOWED_ORIGINS: exactly those origins, without credentials, and the headers the API reads', () => {
    // Act
    const apis = resourcesOfType(withCors.template, 'AWS::ApiGatewayV2::Api');

    // Assess
    expect(apis).toHaveLength(1);
    const cors = apis[0]?.[1].Properties?.CorsConfiguration;
    expect(cors).toEqual(
      expect.objectContaining({
        AllowOrigins: CORS_ORIGINS,
        AllowMethods: expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
        AllowHeaders: expect.arrayContaining([
          'Authorization',
          'X-Auth-Token',
          'Content-Type',
          'Accept',
          'Idempotency-Key',
          'If-Match',
          'If-None-Match',
        ]),
      }),
    );
    expect(isObject(cors) ? cors.AllowCredentials : undefined).not.toBe(true);
  });

  test.each(['*', 'https://app.example.com/'])(
    'CORS_ALLOWED_ORIGINS=%s (not an exact origin) fails the package',
    async (value) => {
      // Act
      const packaging = serverlessPackage('dev', [], { CORS_ALLOWED_ORIGINS: value });

      // Assess
      await expect(packaging).rejects.toThrow(/CORS_ALLOWED_ORIGINS/);
    },
  );

  test("the stack stays under CloudFormation's limit of resources", () => {
    // Assess: every function brings about nine (alarms included); the limit is the stack's.
    for (const { template } of [dev, prod, withParams]) {
      expect(Object.keys(template.Resources).length).toBeLessThan(MAX_RESOURCES);
    }
  });

  test('alarms go to an SNS topic of the stack; with --param alarmTopicArn, to that topic and none is created', () => {
    // Act
    const created = createdResources(dev.template, 'AWS::SNS::Topic');
    const createdWithParam = createdResources(withParams.template, 'AWS::SNS::Topic');

    // Assess
    expect(created.map(([logicalId]) => logicalId)).toEqual(['AlarmTopic']);
    expect(createdWithParam).toEqual([]);
    for (const [{ template }, topic] of [
      [dev, { Ref: 'AlarmTopic' }],
      [prod, { Ref: 'AlarmTopic' }],
      [withParams, EXISTING_TOPIC_ARN],
    ] as const) {
      const alarms = alarmsOf(template);
      expect(alarms.length).toBeGreaterThan(0);
      for (const { logicalId, properties } of alarms) {
        expect({ logicalId, alarm: properties.AlarmActions, ok: properties.OKActions }).toEqual({
          logicalId,
          alarm: [topic],
          ok: [topic],
        });
        expect(properties.ActionsEnabled).toBe(true);
      }
      expect(resolveValue(template, template.Outputs?.AlarmTopicArn?.Value ?? null)).toEqual(topic);
    }
  });

  test('every alarm says what it means and what to do, under a name of its own', () => {
    // Act
    const alarms = alarmsOf(dev.template);

    // Assess
    for (const { logicalId, properties } of alarms) {
      const description = String(properties.AlarmDescription ?? '');
      expect({ logicalId, whatToDo: description.includes('What to do: ') }).toEqual({
        logicalId,
        whatToDo: true,
      });
      expect(description.length).toBeLessThanOrEqual(1024);
      expect(String(properties.AlarmName)).toMatch(/^auth-secrets-dev-/);
    }
    const names = alarms.map(({ properties }) => properties.AlarmName);
    expect(new Set(names).size).toBe(names.length);
  });

  test('the HTTP API alarms when more than 5% of its answers in 5 minutes are 5xx (--param http5xxAlarmPercent)', () => {
    for (const [{ template }, percent] of [
      [dev, 5],
      [withParams, PARAMS.http5xxAlarmPercent],
    ] as const) {
      // Act
      const [apiId] = resourcesOfType(template, 'AWS::ApiGatewayV2::Api')[0] ?? [''];
      const alarms = alarmsOf(template).filter(({ properties }) =>
        JSON.stringify(properties.Metrics ?? []).includes('"AWS/ApiGateway"'),
      );

      // Assess
      expect(alarms).toHaveLength(1);
      const properties = alarms[0]?.properties ?? {};
      const metrics = asList(properties.Metrics).filter(isObject);
      const onApi = (name: string) =>
        metrics.find(
          (metric) =>
            JSON.stringify(metric.MetricStat) ===
            JSON.stringify({
              Metric: {
                Namespace: 'AWS/ApiGateway',
                MetricName: name,
                Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }],
              },
              Period: 300,
              Stat: 'Sum',
            }),
        );
      const errors = onApi('5xx');
      const requests = onApi('Count');
      expect(errors).toBeDefined();
      expect(requests).toBeDefined();
      const returned = metrics.filter((metric) => metric.ReturnData !== false);
      expect(returned).toHaveLength(1);
      const expression = String(returned[0]?.Expression);
      expect(expression).toContain(`100 * ${String(errors?.Id)} / ${String(requests?.Id)}`);
      expect(properties).toMatchObject({
        Threshold: percent,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  test('every function has an alarm on its Errors and one on its Throttles', () => {
    // Prepare
    const { template } = dev;
    const functions = functionsOf(template);

    // Act
    const alarms = functions.map((fn) => ({
      name: fn.name,
      errors: alarmsOn(template, 'AWS/Lambda', 'Errors', { FunctionName: { Ref: fn.logicalId } }),
      throttles: alarmsOn(template, 'AWS/Lambda', 'Throttles', { FunctionName: { Ref: fn.logicalId } }),
    }));

    // Assess
    expect(functions.map((fn) => fn.name)).toEqual(expect.arrayContaining(Object.keys(LEAST_PRIVILEGE)));
    for (const { name, errors, throttles } of alarms) {
      expect({ name, errors: errors.map((alarm) => alarm.properties) }).toEqual({
        name,
        errors: [singleMetricAlarm('Sum', 0)],
      });
      expect({ name, throttles: throttles.map((alarm) => alarm.properties) }).toEqual({
        name,
        throttles: [singleMetricAlarm('Sum', 0)],
      });
    }
  });

  test('the scheduled refresh alarms when a run takes more than 80% of its timeout', () => {
    // Prepare
    const { template } = dev;
    const refreshDue = functionsOf(template).find((fn) => fn.name === 'refreshDue');
    const timeoutSeconds = Number(refreshDue?.properties.Timeout);

    // Act
    const alarms = alarmsOn(template, 'AWS/Lambda', 'Duration', {
      FunctionName: { Ref: refreshDue?.logicalId ?? '' },
    });

    // Assess
    expect(timeoutSeconds).toBeGreaterThan(0);
    expect(alarms.map((alarm) => alarm.properties)).toEqual([
      singleMetricAlarm('Maximum', timeoutSeconds * 1000 * 0.8),
    ]);
  });

  test.each([
    ['dev', () => dev],
    ['prod', () => prod],
  ])(
    "the refresh backlog (AuthSecrets RefreshBacklog, as the functions emit it) alarms after 3 periods above 0: %s's own",
    (stage, packaged) => {
      // Prepare
      const { template } = packaged();

      // Act: the stage is a dimension, so that stages in one account do not trip each other's alarm.
      const alarms = alarmsOn(template, 'AuthSecrets', 'RefreshBacklog', { service: 'auth-secrets', stage });

      // Assess
      expect(alarms.map((alarm) => alarm.properties)).toEqual([singleMetricAlarm('Maximum', 0, 3)]);
      expect(alarms[0]?.properties.DatapointsToAlarm).toBe(3);
      for (const fn of functionsOf(template)) {
        expect({ fn: fn.name, ...environmentOf(template, fn) }).toMatchObject({
          fn: fn.name,
          POWERTOOLS_METRICS_NAMESPACE: 'AuthSecrets',
          POWERTOOLS_SERVICE_NAME: 'auth-secrets',
          STAGE: stage,
        });
      }
    },
  );

  test('every dead-letter queue alarms as soon as it holds a message', () => {
    // Prepare
    const { template } = dev;

    // Act
    const queues = deadLetterQueuesOf(template);

    // Assess
    expect(queues).toEqual(['EventsDeadLetterQueue', 'WebhookDeadLetterQueue']);
    for (const queue of queues) {
      const alarms = alarmsOn(template, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
        QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] },
      });
      expect({ queue, alarms: alarms.map((alarm) => alarm.properties) }).toEqual({
        queue,
        alarms: [singleMetricAlarm('Maximum', 0)],
      });
    }
  });

  test('the HTTP API stage throttles every route, and the refresh route tighter (--param throttle*)', () => {
    for (const [{ template }, limits] of [
      [dev, { rate: 200, burst: 400, refreshRate: 10, refreshBurst: 20 }],
      [prod, { rate: 200, burst: 400, refreshRate: 10, refreshBurst: 20 }],
      [
        withParams,
        {
          rate: PARAMS.throttleRate,
          burst: PARAMS.throttleBurst,
          refreshRate: PARAMS.refreshThrottleRate,
          refreshBurst: PARAMS.refreshThrottleBurst,
        },
      ],
    ] as const) {
      // Act
      const stage = httpApiStageOf(template);
      const [refreshRouteId] =
        resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(
          ([, route]) => route.Properties?.RouteKey === REFRESH_ROUTE,
        ) ?? [];

      // Assess
      expect(stage.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: limits.rate, ThrottlingBurstLimit: limits.burst },
        RouteSettings: {
          [REFRESH_ROUTE]: {
            ThrottlingRateLimit: limits.refreshRate,
            ThrottlingBurstLimit: limits.refreshBurst,
          },
        },
      });
      expect(Object.keys(stage.Properties?.RouteSettings as JsonObject)).toEqual([REFRESH_ROUTE]);
      // The refresh route is held tighter than the stage as deployed (not only in this table).
      const deployed = stage.Properties as {
        DefaultRouteSettings: { ThrottlingRateLimit: number };
        RouteSettings: Record<string, { ThrottlingRateLimit: number }>;
      };
      expect(deployed.RouteSettings[REFRESH_ROUTE]?.ThrottlingRateLimit).toBeLessThan(
        deployed.DefaultRouteSettings.ThrottlingRateLimit,
      );
      // The stage may only name a route that exists: CloudFormation makes the route first.
      expect(refreshRouteId).toBeDefined();
      expect(asList(stage.DependsOn)).toContain(refreshRouteId);
    }
  });

  test.each([
    ['refreshThrottleBurst', '1.5'],
    ['http5xxAlarmPercent', '0'],
  ])('--param %s=%s fails the package', async (name, value) => {
    // Act
    const packaging = serverlessPackage('dev', [`--param=${name}=${value}`]);

    // Assess
    await expect(packaging).rejects.toThrow(`--param ${name}=${value}: expected`);
  });

  test('the HTTP API writes a JSON access log line per request to a log group of its own', () => {
    // Prepare
    const { template } = dev;

    // Act
    const settings = httpApiStageOf(template).Properties?.AccessLogSettings as JsonObject | undefined;
    const logGroupId = getAttOf(settings?.DestinationArn);
    const logGroup = template.Resources[logGroupId ?? ''];
    const format = JSON.parse(String(settings?.Format)) as Record<string, string>;

    // Assess
    expect(logGroup).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { LogGroupName: '/aws/http-api/auth-secrets-dev', RetentionInDays: 30 },
    });
    expect(settings?.DestinationArn).toEqual(getAttArn(logGroupId ?? ''));
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
      httpMethod: '$context.httpMethod',
      routeKey: '$context.routeKey',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      integrationError: '$context.integration.error',
      integrationLatency: '$context.integration.latency',
      integrationRequestId: '$context.integration.requestId',
    });
    // Only API Gateway's own variables: no header (Authorization, X-Auth-Token) and no body.
    for (const value of Object.values(format)) expect(value).toMatch(/^\$context\.[a-zA-Z.]+$/);
  });

  test('every function is traced by X-Ray and configured for Powertools', () => {
    // Prepare
    const { template } = dev;

    // Act
    const functions = functionsOf(template).map((fn) => ({
      name: fn.name,
      tracing: fn.properties.TracingConfig,
      environment: environmentOf(template, fn),
    }));

    // Assess
    for (const { name, tracing, environment } of functions) {
      expect({ name, tracing }).toEqual({ name, tracing: { Mode: 'Active' } });
      expect({ name, ...environment }).toMatchObject({
        name,
        LOG_LEVEL: 'INFO',
        POWERTOOLS_SERVICE_NAME: 'auth-secrets',
        POWERTOOLS_METRICS_NAMESPACE: 'AuthSecrets',
        POWERTOOLS_TRACE_DISABLED: 'false',
      });
    }
  });
});
