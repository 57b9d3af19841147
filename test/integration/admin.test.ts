import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseApiKey } from '../../lib/auth/apiKeys';
import { authenticate } from '../../lib/auth/authenticate';
import { isId } from '../../lib/ids';
import { ROLES } from '../../lib/model';
import { keys } from '../../lib/store/keys';
import { ensureTable } from '../../scripts/localStack';
import { sharedDynamoEndpoint, stackOn, uniqueTableName, type TestStack } from '../support/localStack';

interface Run {
  readonly args: string[];
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const ROOT = resolve(__dirname, '..', '..');
/** Variables that would point the CLI elsewhere than the local stack this test starts. */
const INHERITED_OUT = [
  'TABLE_NAME',
  'KMS_KEY_ID',
  'LOCAL_KEY_FILE',
  'AUTH_SECRETS_MODE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KMS',
  'DATA_DIR',
  'DYNAMODB_PORT',
  'DYNAMODB_ENDPOINT',
];

let dataDir: string;
const tableName = uniqueTableName('admin');
let stack: TestStack;
let cliEnv: NodeJS.ProcessEnv;

/** Runs the CLI the way its usage line says: `npm run --silent admin -- <command> [options]`. */
function admin(...args: string[]): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('npm', ['run', '--silent', 'admin', '--', ...args], {
      cwd: ROOT,
      env: cliEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ args, code, stdout, stderr }));
  });
}

/** The one JSON object a successful command prints, or a failure that shows what the CLI said. */
function output(run: Run): Record<string, unknown> {
  if (run.code !== 0) throw new Error(`${run.args.join(' ')} exited ${run.code}:\n${run.stderr}`);
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  expect(lines).toHaveLength(1);
  const parsed: unknown = JSON.parse(lines[0] ?? '');
  expect(parsed).toEqual(expect.any(Object));
  return parsed as Record<string, unknown>;
}

function expectRefused(run: Run, message: RegExp) {
  expect({ code: run.code === 0 ? 0 : 'non-zero', stdout: run.stdout }).toEqual({
    code: 'non-zero',
    stdout: '',
  });
  expect(run.stderr).toMatch(message);
}

const runs: Record<string, Run> = {};
const CLIENT_SECRET = 'cli-client-secret-value';

beforeAll(async () => {
  // Prepare: a table of its own on the run's DynamoDB Local (where `npm start` would have made the
  // local one), and an empty data directory.
  const endpoint = sharedDynamoEndpoint();
  await ensureTable(endpoint, tableName);
  dataDir = mkdtempSync(join(tmpdir(), 'auth-secrets-admin-'));
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !INHERITED_OUT.includes(name)),
  );
  cliEnv = { ...inherited, DYNAMODB_ENDPOINT: endpoint, TABLE_NAME: tableName, DATA_DIR: dataDir };

  // Act: every command the tests look at, as few processes as possible, independent ones in parallel.
  const [tenant, ann, bob, noName, unknownCommand, badType] = await Promise.all([
    admin('tenant:create', '--name', 'Acme'),
    admin('user:create', '--email', 'ann@example.com'),
    admin('user:create', '--email', 'bob@example.com'),
    admin('tenant:create'),
    admin('tenant:destroy', '--name', 'Acme'),
    admin('auth-client:create', '--tenant', 'x', '--name', 'SAML', '--type', 'saml'),
  ]);
  Object.assign(runs, { tenant, ann, bob, noName, unknownCommand, badType });
  const tenantId = String(output(tenant).id);
  const [workspace, oauth2Client, otherClient, annAgain] = await Promise.all([
    admin('workspace:create', '--tenant', tenantId, '--name', 'Main'),
    admin(
      'auth-client:create',
      '--tenant',
      tenantId,
      '--name',
      'Example OAuth2',
      '--type',
      'oauth2',
      '--token-url',
      'https://auth.example.com/oauth/token',
      '--client-id',
      'cli-client',
      '--client-secret',
      CLIENT_SECRET,
      '--auth-method',
      'client_secret_post',
    ),
    admin('auth-client:create', '--tenant', tenantId, '--name', 'API key', '--type', 'other'),
    admin('user:create', '--email', 'ann@example.com'),
  ]);
  Object.assign(runs, { workspace, oauth2Client, otherClient, annAgain });
  const workspaceId = String(output(workspace).id);
  const [annMember, bobMember, unknownRole] = await Promise.all([
    admin('member:add', '--workspace', workspaceId, '--user', String(output(ann).id), '--role', 'editor'),
    admin(
      'member:add',
      '--workspace',
      workspaceId,
      '--user',
      String(output(bob).id),
      '--permissions',
      'workspaces.auth_secret.get,workspaces.auth_secret.delete',
    ),
    admin('member:add', '--workspace', workspaceId, '--user', String(output(bob).id), '--role', 'owner'),
  ]);
  Object.assign(runs, { annMember, bobMember, unknownRole });

  // Services on the same DynamoDB and key file, to look at what the CLI stored.
  stack = await stackOn(endpoint, { keyFile: join(dataDir, 'local-kms.key'), tableName });
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const rawItem = async (key: { pk: string; sk: string }) =>
  (
    await stack.dynamoDb.send(
      new GetItemCommand({ TableName: tableName, Key: { pk: { S: key.pk }, sk: { S: key.sk } } }),
    )
  ).Item;

describe('admin CLI output', () => {
  test('tenant:create and workspace:create print {"id"}, and the records are in the local table', async () => {
    // Act
    const tenant = output(runs.tenant as Run);
    const workspace = output(runs.workspace as Run);

    // Assess
    expect(Object.keys(tenant)).toEqual(['id']);
    expect(Object.keys(workspace)).toEqual(['id']);
    expect(isId(String(tenant.id))).toBe(true);
    expect(isId(String(workspace.id))).toBe(true);
    await expect(stack.services.directory.getTenant(String(tenant.id))).resolves.toMatchObject({
      name: 'Acme',
    });
    await expect(stack.services.directory.getWorkspace(String(workspace.id))).resolves.toMatchObject({
      tenantId: tenant.id,
      name: 'Main',
    });
  });

  test('user:create prints {"id","email","apiKey"}, and the key authenticates that user', async () => {
    // Act
    const ann = output(runs.ann as Run);

    // Assess
    expect(Object.keys(ann).sort()).toEqual(['apiKey', 'email', 'id']);
    expect(ann.email).toBe('ann@example.com');
    expect(parseApiKey(String(ann.apiKey))?.userId).toBe(ann.id);
    const { caller } = await authenticate(stack.services.directory, {
      email: 'ann@example.com',
      apiKey: String(ann.apiKey),
    });
    expect(caller).toEqual({
      userId: ann.id,
      email: 'ann@example.com',
      apiKeyId: parseApiKey(String(ann.apiKey))?.keyId,
    });
  });

  test('member:add grants a role or an explicit permission list', async () => {
    // Prepare
    const workspaceId = String(output(runs.workspace as Run).id);
    const annId = String(output(runs.ann as Run).id);
    const bobId = String(output(runs.bob as Run).id);

    // Act
    const printed = [output(runs.annMember as Run), output(runs.bobMember as Run)];

    // Assess
    expect(printed[0]).toMatchObject({ workspaceId, userId: annId });
    expect(printed[1]).toMatchObject({ workspaceId, userId: bobId });
    const annMembership = await stack.services.directory.getMembership(workspaceId, annId);
    const bobMembership = await stack.services.directory.getMembership(workspaceId, bobId);
    expect([...(annMembership?.permissions ?? [])].sort()).toEqual([...(ROLES.editor ?? [])].sort());
    expect([...(bobMembership?.permissions ?? [])].sort()).toEqual([
      'workspaces.auth_secret.delete',
      'workspaces.auth_secret.get',
    ]);
  });

  test('auth-client:create prints {"id"} for both types, and the client secret is not stored in plaintext', async () => {
    // Prepare
    const tenantId = String(output(runs.tenant as Run).id);

    // Act
    const oauth2 = output(runs.oauth2Client as Run);
    const other = output(runs.otherClient as Run);

    // Assess
    expect(Object.keys(oauth2)).toEqual(['id']);
    expect(Object.keys(other)).toEqual(['id']);
    const oauth2Item = await rawItem(keys.authClient(tenantId, String(oauth2.id)));
    const otherItem = await rawItem(keys.authClient(tenantId, String(other.id)));
    expect(JSON.stringify(oauth2Item)).toContain('https://auth.example.com/oauth/token');
    expect(JSON.stringify(oauth2Item)).toContain('client_secret_post');
    expect(JSON.stringify(oauth2Item)).not.toContain(CLIENT_SECRET);
    expect(otherItem).toBeDefined();
  });

  test('the CLI made the local key in DATA_DIR, readable by its owner only', () => {
    // Prepare
    const keyFile = join(dataDir, 'local-kms.key');

    // Act
    const exists = existsSync(keyFile);

    // Assess
    expect(exists).toBe(true);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  });
});

describe('admin CLI refusals: a message on stderr, a non-zero exit, nothing on stdout', () => {
  test('user:create with an e-mail that is taken', () => {
    expectRefused(runs.annAgain as Run, /ann@example\.com|exists/i);
  });

  test('a missing required option', () => {
    expectRefused(runs.noName as Run, /--name/);
  });

  test('an unknown command', () => {
    expectRefused(runs.unknownCommand as Run, /unknown command|tenant:destroy/i);
  });

  test('an unknown role, which grants nothing', async () => {
    // Prepare
    const workspaceId = String(output(runs.workspace as Run).id);
    const bobId = String(output(runs.bob as Run).id);

    // Act
    const membership = await stack.services.directory.getMembership(workspaceId, bobId);

    // Assess
    expectRefused(runs.unknownRole as Run, /role/i);
    expect(membership?.permissions).not.toContain('workspaces.auth_secret.create');
  });

  test('an auth-client --type that is neither oauth2 nor other', () => {
    expectRefused(runs.badType as Run, /--type/);
  });
});
