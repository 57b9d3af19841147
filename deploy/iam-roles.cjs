// One IAM role per function, holding only what that function does. Referenced from
// serverless.yml; the README's "Deploying" section explains the conditions.
//
// Each entry: the DynamoDB actions on the table (and its indexes where a Query runs on them),
// and the KMS actions on the service's key. Every role may also write its function's logs and,
// with tracing on (serverless.yml `provider.tracing.lambda`), its X-Ray traces: osls adds those
// only to the default role it makes, not to roles of our own.
const READ = ['dynamodb:BatchGetItem', 'dynamodb:GetItem'];
/**
 * A write that counts a secret into lists: PutItem (the secret, a new block), UpdateItem (counts,
 * the auth-client's usage), ConditionCheckItem (the auth-client exists), Query (the block holding
 * an id older than the newest block: rare).
 */
const COUNTED_WRITE = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:Query',
];
const FUNCTIONS = {
  // The list reads its counter (GetItem) and block counts (Query on the table) beside the index.
  secretsList: { dynamodb: [...READ, 'dynamodb:Query'], indexes: true, kms: ['kms:Decrypt'] },
  // Creating, moving and deleting a secret are TransactWriteItems with its list counts and its
  // auth-client's usage: IAM checks each write of a transaction under its own action.
  // Creates keep the credentials as version 1 and honour Idempotency-Key: its record (PutItem,
  // UpdateItem, DeleteItem when a request fails) and its answer, sealed under its own purpose.
  // A secret of a client_credentials auth-client gets its first token now: the client secret is opened.
  secretsCreate: {
    dynamodb: [...READ, ...COUNTED_WRITE, 'dynamodb:DeleteItem'],
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    purposes: ['auth-secret', 'auth-client', 'idempotent-answer'],
  },
  // Connecting accounts (README: "Connecting an account"). A session is one PutItem, its PKCE
  // verifier sealed under its own purpose.
  connectSessionsCreate: {
    dynamodb: [...READ, 'dynamodb:PutItem'],
    kms: ['kms:GenerateDataKey'],
    purposes: ['connect-session'],
  },
  // The callback takes its session (DeleteItem), opens the verifier and the client secret, and
  // creates the secret (a counted write with its version) or replaces its credentials in place.
  oauthCallback: {
    dynamodb: [...READ, ...COUNTED_WRITE, 'dynamodb:DeleteItem'],
    kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
    purposes: ['connect-session', 'auth-client', 'auth-secret'],
  },
  secretsGet: { dynamodb: READ, kms: ['kms:Decrypt'] },
  // New credentials are kept as a version, and the oldest kept one deleted, in the same transaction.
  secretsPatch: {
    dynamodb: [...READ, ...COUNTED_WRITE, 'dynamodb:DeleteItem'],
    kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
  },
  // A DELETE moves the secret to the deleted list (a counted write), or deletes it with its versions.
  secretsDelete: { dynamodb: [...READ, ...COUNTED_WRITE, 'dynamodb:DeleteItem'] },
  secretsRestore: { dynamodb: [...READ, ...COUNTED_WRITE], kms: ['kms:Decrypt'] },
  secretVersionsList: { dynamodb: [...READ, 'dynamodb:Query'] },
  secretVersionGet: { dynamodb: READ, kms: ['kms:Decrypt'] },
  secretVersionRestore: {
    dynamodb: [...READ, ...COUNTED_WRITE, 'dynamodb:DeleteItem'],
    kms: ['kms:Decrypt'],
  },
  purgeDeleted: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
    indexes: true,
  },
  secretsRefresh: {
    dynamodb: [...READ, 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
    purposes: ['auth-secret', 'auth-client'],
  },
  // BatchGetItem: a refresh that changes the secret's state reads its lists' totals to move it.
  refreshDue: {
    dynamodb: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
    ],
    indexes: true,
    kms: ['kms:Decrypt', 'kms:GenerateDataKey'],
    purposes: ['auth-secret', 'auth-client'],
  },
  workspacesGet: { dynamodb: READ },
  usersGet: { dynamodb: [...READ, 'dynamodb:Query'], indexes: true },
  authClientsList: { dynamodb: ['dynamodb:BatchGetItem', 'dynamodb:Query'], indexes: true },
  authClientsGet: { dynamodb: [...READ, 'dynamodb:Query'], indexes: true },
  authClientsCreate: {
    dynamodb: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    purposes: ['auth-client', 'idempotent-answer'],
  },
  authClientsPatch: {
    dynamodb: [...READ, 'dynamodb:PutItem'],
    kms: ['kms:GenerateDataKey'],
    purposes: ['auth-client'],
  },
  // Deleting the client with its usage, marking it for a cascade, its secrets' deletes.
  // A cascade deletes the client's secrets recoverably: each moves to its deleted list (PutItem).
  authClientsDelete: {
    dynamodb: [
      ...READ,
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
    ],
    indexes: true,
  },
  // The v1 (Barbican) API. Every function may Query the caller's memberships (a request without
  // X-Project-Id uses the caller's only workspace); payloads are sealed under their own purpose.
  v1SecretsList: { dynamodb: ['dynamodb:BatchGetItem', 'dynamodb:Query'], indexes: true },
  // A v1 create or delete is one TransactWriteItems with its counted lists: IAM checks each of
  // its writes under its own action (PutItem, UpdateItem, DeleteItem).
  v1SecretsCreate: {
    dynamodb: [
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
    indexes: true,
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    purposes: ['barbican-secret', 'idempotent-answer'],
  },
  v1SecretsGet: {
    dynamodb: [...READ, 'dynamodb:Query'],
    indexes: true,
    kms: ['kms:Decrypt'],
    purposes: ['barbican-secret'],
  },
  v1SecretsPayloadGet: {
    dynamodb: [...READ, 'dynamodb:Query'],
    indexes: true,
    kms: ['kms:Decrypt'],
    purposes: ['barbican-secret'],
  },
  v1SecretsPut: {
    dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:UpdateItem'],
    indexes: true,
    kms: ['kms:GenerateDataKey'],
    purposes: ['barbican-secret'],
  },
  v1SecretsDelete: {
    dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'],
    indexes: true,
  },
  v1SecretsMetadataGet: { dynamodb: [...READ, 'dynamodb:Query'], indexes: true },
  v1SecretsMetadataPut: { dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:UpdateItem'], indexes: true },
  v1SecretsMetadataPost: { dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:UpdateItem'], indexes: true },
  v1SecretsMetadatumGet: { dynamodb: [...READ, 'dynamodb:Query'], indexes: true },
  v1SecretsMetadatumPut: { dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:UpdateItem'], indexes: true },
  v1SecretsMetadatumDelete: { dynamodb: [...READ, 'dynamodb:Query', 'dynamodb:UpdateItem'], indexes: true },
  // Events and webhooks. The stream function stores events and deliveries (PutItem, GetItem),
  // reads the tenant's webhooks (Query), publishes to the bus and queues delivery jobs.
  publishEvents: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
    stream: true,
    other: [
      { Action: ['events:PutEvents'], Resource: { 'Fn::GetAtt': ['EventBus', 'Arn'] } },
      { Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['WebhookQueue', 'Arn'] } },
      // The event source mapping's on-failure destination.
      { Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['EventsDeadLetterQueue', 'Arn'] } },
    ],
  },
  // The delivery worker: reads the delivery and its webhook, opens the signing secret, records
  // the attempt, and (SQS event source) receives, deletes and delays its messages.
  deliverWebhooks: {
    dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    kms: ['kms:Decrypt'],
    purposes: ['webhook'],
    other: [
      {
        Action: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
        ],
        Resource: { 'Fn::GetAtt': ['WebhookQueue', 'Arn'] },
      },
    ],
  },
  webhooksCreate: {
    dynamodb: [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
    kms: ['kms:GenerateDataKey', 'kms:Decrypt'],
    purposes: ['webhook', 'idempotent-answer'],
  },
  webhooksPatch: { dynamodb: [...READ, 'dynamodb:PutItem'] },
  webhooksDelete: { dynamodb: [...READ, 'dynamodb:DeleteItem'] },
  webhooksList: { dynamodb: [...READ, 'dynamodb:Query'] },
  webhooksGet: { dynamodb: READ },
  webhookDeliveriesList: { dynamodb: [...READ, 'dynamodb:Query'] },
  eventsList: { dynamodb: [...READ, 'dynamodb:Query'] },
  auditEventsList: { dynamodb: [...READ, 'dynamodb:Query'] },
  // The OpenAPI documents: built into the bundle, nothing read, nothing written.
  openapiV2: {},
  openapiV1: {},
};

/**
 * Every function but the event pipeline writes audit records (lib/http/audit.ts: refused requests,
 * and those that touch credentials; the scheduler's refreshes). A function that writes nothing
 * else may put items only into the audit partitions.
 */
const AUDIT_PARTITIONS = ['AUDIT#*'];
const WRITES_NO_AUDIT = new Set([
  'publishEvents',
  'deliverWebhooks',
  'purgeDeleted',
  'openapiV2',
  'openapiV1',
]);
/** X-Ray's write actions have no resource to name: they are allowed on `*`, alone in their statement. */
const XRAY_WRITE = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

const roleName = (fn) => `${fn[0].toUpperCase()}${fn.slice(1)}Role`;

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const existingKeyArn = await resolveVariable('self:custom.existingKmsKeyArn');
  const tracing = await resolveVariable('self:provider.tracing.lambda, false');
  const resources = {};
  for (const [fn, access] of Object.entries(FUNCTIONS)) {
    const tableArn = { 'Fn::GetAtt': ['SecretsTable', 'Arn'] };
    const statements = [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::Sub': `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${service}-${stage}-${fn}:*`,
        },
      },
    ];
    const dynamodb = access.dynamodb ?? [];
    if (dynamodb.length > 0) {
      statements.push({
        Effect: 'Allow',
        Action: dynamodb,
        Resource: access.indexes ? [tableArn, { 'Fn::Join': ['/', [tableArn, 'index', '*']] }] : [tableArn],
      });
    }
    if (tracing) statements.push({ Effect: 'Allow', Action: XRAY_WRITE, Resource: '*' });
    if (!WRITES_NO_AUDIT.has(fn) && !dynamodb.includes('dynamodb:PutItem')) {
      statements.push({
        Effect: 'Allow',
        Action: ['dynamodb:PutItem'],
        Resource: [tableArn],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': AUDIT_PARTITIONS } },
      });
    }
    if (access.stream) {
      statements.push({
        Effect: 'Allow',
        Action: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        Resource: { 'Fn::GetAtt': ['SecretsTable', 'StreamArn'] },
      });
    }
    for (const statement of access.other ?? []) statements.push({ Effect: 'Allow', ...statement });
    if (access.kms) {
      statements.push({
        Effect: 'Allow',
        Action: access.kms,
        Resource: { 'Fn::If': ['CreateKey', { 'Fn::GetAtt': ['SecretsKey', 'Arn'] }, existingKeyArn] },
        // Data keys are only ever made and opened under this service's encryption context.
        Condition: { StringEquals: { 'kms:EncryptionContext:purpose': access.purposes ?? ['auth-secret'] } },
      });
    }
    resources[roleName(fn)] = {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        Policies: [
          { PolicyName: 'least-privilege', PolicyDocument: { Version: '2012-10-17', Statement: statements } },
        ],
      },
    };
  }
  return { Resources: resources };
};
