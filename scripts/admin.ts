/**
 * The operator's CLI: `npm run --silent admin -- <command> [options]`. Prints one JSON object on
 * stdout. Against the local instance by default (start it with `npm start`); against AWS when
 * TABLE_NAME and KMS_KEY_ID are set in the environment (with the usual AWS credentials).
 */
import { parseArgs } from 'node:util';
import { readConfig } from '../lib/config';
import {
  addMember,
  createApiKey,
  createAuthClient,
  createTenant,
  createUser,
  createWorkspace,
  grantTenantAdmin,
  removeMember,
  revokeApiKey,
} from '../lib/directory/admin';
import { refreshDueSecrets } from '../lib/refresh/schedule';
import { AppError } from '../lib/errors';
import { AUTH_CLIENT_TYPES, AUTH_METHODS, type AuthClientType, type AuthMethod } from '../lib/model';
import { createServices } from '../lib/services';
import { localEnvironment } from './localStack';
import { LOCAL_KEY_FILE, localDynamoEndpoint } from './localPaths';

const USAGE = `usage: npm run --silent admin -- <command> [options]

commands:
  tenant:create --name N
  workspace:create --tenant T --name N
  user:create --email E
  user:key --user U                         issue another API key for a user
  user:revoke-key --user U --key K          revoke a key (K: the third part of asec.<user>.<K>.<secret>)
  member:add --workspace W --user U (--role viewer|editor|admin | --permissions p1,p2,...)
  member:remove --workspace W --user U
  tenant:admin --tenant T --user U [--permissions tenants.auth_client.get,...]
                                            grant auth-client management (all four by default)
  auth-client:create --tenant T --name N --type oauth2|other
        [--token-url U --client-id C --client-secret S
         --auth-method client_secret_basic|client_secret_post --scopes s1,s2
         --default-expires-in SECONDS --refresh-interval-seconds SECONDS]
  refresh:due                               run the scheduled refresh once, now`;

class UsageError extends Error {}

type Options = Record<string, string | undefined>;

function need(options: Options, name: string): string {
  const value = options[name];
  if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function oneOf<T extends string>(options: Options, name: string, allowed: readonly T[]): T | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function positive(options: Options, name: string): number | undefined {
  const value = options[name];
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(value)) throw new UsageError(`--${name} must be a positive number of seconds`);
  return Number(value);
}

const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

async function run(argv: string[]): Promise<unknown> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') throw new UsageError('');
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: Object.fromEntries(
      [
        'name',
        'tenant',
        'workspace',
        'user',
        'email',
        'role',
        'permissions',
        'type',
        'token-url',
        'client-id',
        'client-secret',
        'auth-method',
        'scopes',
        'default-expires-in',
        'refresh-interval-seconds',
        'key',
      ].map((name) => [name, { type: 'string' as const }]),
    ),
  });
  const options: Options = values;
  if (!process.env.KMS_KEY_ID) {
    Object.assign(
      process.env,
      localEnvironment({ dynamoEndpoint: localDynamoEndpoint(), keyFile: LOCAL_KEY_FILE }),
      process.env.TABLE_NAME ? { TABLE_NAME: process.env.TABLE_NAME } : {},
    );
  }
  const deps = createServices(readConfig());
  switch (command) {
    case 'tenant:create':
      return createTenant(deps, need(options, 'name'));
    case 'workspace:create':
      return createWorkspace(deps, need(options, 'tenant'), need(options, 'name'));
    case 'user:create':
      return createUser(deps, need(options, 'email'));
    case 'user:key':
      return createApiKey(deps, need(options, 'user'));
    case 'user:revoke-key':
      return revokeApiKey(deps, need(options, 'user'), need(options, 'key'));
    case 'member:remove':
      return removeMember(deps, need(options, 'workspace'), need(options, 'user'));
    case 'member:add': {
      const { role, permissions } = options;
      if ((role === undefined) === (permissions === undefined)) {
        throw new UsageError('give exactly one of --role and --permissions');
      }
      const grant = role !== undefined ? { role } : { permissions: list(permissions ?? '') };
      return addMember(deps, need(options, 'workspace'), need(options, 'user'), grant);
    }
    case 'auth-client:create': {
      const type = oneOf<AuthClientType>(options, 'type', AUTH_CLIENT_TYPES);
      if (!type) throw new UsageError('--type is required');
      return createAuthClient(deps, {
        tenantId: need(options, 'tenant'),
        name: need(options, 'name'),
        type,
        tokenUrl: options['token-url'],
        clientId: options['client-id'],
        clientSecret: options['client-secret'],
        authMethod: oneOf<AuthMethod>(options, 'auth-method', AUTH_METHODS),
        scopes: options.scopes === undefined ? undefined : list(options.scopes),
        defaultExpiresIn: positive(options, 'default-expires-in'),
        refreshIntervalSeconds: positive(options, 'refresh-interval-seconds'),
      });
    }
    case 'tenant:admin':
      return grantTenantAdmin(
        deps,
        need(options, 'tenant'),
        need(options, 'user'),
        options.permissions === undefined ? undefined : list(options.permissions),
      );
    case 'refresh:due':
      return refreshDueSecrets(deps, { stopStartingAt: Date.now() + 60_000 });
    default:
      throw new UsageError(`unknown command ${command}`);
  }
}

run(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`);
  },
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message ? `error: ${error.message}\n\n` : ''}${USAGE}\n`);
      process.exitCode = 2;
      return;
    }
    if (error instanceof AppError || (error instanceof Error && error.name === 'ConfigError')) {
      process.stderr.write(`error: ${error.message}\n`);
    } else if (
      error instanceof TypeError &&
      'code' in error &&
      String(error.code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
      return;
    } else if (error instanceof Error && /ECONNREFUSED|connect/i.test(`${error.message} ${error.name}`)) {
      process.stderr.write('error: cannot reach the local DynamoDB server; is `npm start` running?\n');
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
