import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freeLoopbackPort } from '../../scripts/dynamoEngine';
import { LOCAL_TABLE_NAME } from '../../scripts/localStack';
import { stackOn, uniqueTableName, type TestStack } from './localStack';

export interface LocalServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** Services on the same embedded DynamoDB, for fixtures and raw reads. */
  readonly stack: TestStack;
  readonly dataDir: string;
  /** The PID of `npm start`'s program, for a server of this suite's own. */
  readonly pid: number | undefined;
  /** Stops the server (by the PID this harness started) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Stops it and starts it again on the same data directory and ports. `crash`: SIGKILL the
   * program and every process under it (its own DynamoDB Local included) instead of asking it to stop.
   */
  restart(options?: { crash?: boolean }): Promise<void>;
  /**
   * Invokes one of the server's functions on its local Lambda endpoint, as a schedule would (e.g.
   * `purgeDeleted`), and returns what it answered. A server of this suite's own only.
   */
  invoke(fn: string, event?: unknown): Promise<unknown>;
  /**
   * Everything the server's program wrote to stdout and stderr so far, restarts included: its own
   * lines, serverless-offline's and the functions' (JSON logs, EMF metrics). A server of this suite's own only.
   */
  log(): string;
}

export interface LocalServerOptions {
  readonly dataDir?: string;
  /**
   * Let `npm start` start its own DynamoDB Local on disk under the data directory, exactly as a
   * user gets it (for tests of what survives a restart). Otherwise the server uses the test run's
   * shared in-memory engine with a table of its own. Outside jest (the benchmark), always its own.
   */
  readonly ownEngine?: boolean;
  /**
   * A server of this suite's own, started now. Otherwise a suite gets the run's shared server (see
   * startSharedServer), whose functions other suites may already have warmed. Suites that change
   * the server's environment, restart it, or need cold functions ask for their own.
   */
  readonly own?: boolean;
  /**
   * Variables this server's program runs with besides the run's own (a shorter recovery window, a
   * log level): a server of the suite's own only; the test process's environment is not changed.
   */
  readonly env?: Readonly<Record<string, string>>;
}

/** What jest's globalSetup hands every suite about the run's shared local server. */
interface SharedServerInfo {
  readonly baseUrl: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly dataDir: string;
}

const SHARED_SERVER_VARIABLE = 'SHARED_LOCAL_SERVER';

export const freePort = freeLoopbackPort;

/**
 * Runs `npm start`'s own program (scripts/start.ts: DynamoDB Local + serverless-offline with the
 * real handlers) on free loopback ports and a temporary data directory.
 */
export async function startLocalServer(options: LocalServerOptions = {}): Promise<LocalServer> {
  const shared = process.env[SHARED_SERVER_VARIABLE];
  if (shared && !options.own && !options.ownEngine && !options.dataDir && !options.env) {
    return useSharedServer(shared);
  }
  return startOwnServer(options);
}

/**
 * Starting `npm start` costs about 9 s on 2 cores, and each function's first call a cold start
 * more: one server serves the suites that only send requests (each works in tenants of its own).
 * Returns the server's PID for globalTeardown.
 */
export async function startSharedServer(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const server = await startOwnServer({});
  const info: SharedServerInfo = {
    baseUrl: server.baseUrl,
    dynamoEndpoint: server.stack.endpoint,
    tableName: server.stack.tableName,
    dataDir: server.dataDir,
  };
  process.env[SHARED_SERVER_VARIABLE] = JSON.stringify(info);
  // Its bundles are the run's: every later server (and package, see test/package.test.ts) copies
  // them instead of bundling all the functions again (test/support/reuseBuild.cjs). Its build
  // folder (named after start.ts's PID) lives until globalTeardown stops it, after every suite.
  process.env[REUSE_FROM_VARIABLE] = resolve(buildFolderOf(server.pid), '.build');
  process.env[ESBUILD_PLUGINS_VARIABLE] = REUSE_BUILD_PLUGIN;
  return { pid: server.pid, stop: server.stop };
}

const REUSE_FROM_VARIABLE = 'ESBUILD_REUSE_FROM';
const ESBUILD_PLUGINS_VARIABLE = 'ESBUILD_PLUGINS';
/** Relative to the service directory, as serverless-esbuild loads it. */
const REUSE_BUILD_PLUGIN = './test/support/reuseBuild.cjs';

/** The variables that make a server or package reuse the run's bundles, to leave out where unwanted. */
export const REUSE_BUILD_VARIABLES = [REUSE_FROM_VARIABLE, ESBUILD_PLUGINS_VARIABLE] as const;

/**
 * Where scripts/start.ts, run as `pid` in this directory (see launch), builds its functions; it
 * removes the folder when it stops.
 */
const buildFolderOf = (pid: number) => `.esbuild-${pid}`;

async function useSharedServer(variable: string): Promise<LocalServer> {
  const info = JSON.parse(variable) as SharedServerInfo;
  const stack = await stackOn(info.dynamoEndpoint, {
    keyFile: join(info.dataDir, 'local-kms.key'),
    tableName: info.tableName,
  });
  return {
    baseUrl: info.baseUrl,
    stack,
    dataDir: info.dataDir,
    pid: undefined,
    // The server is the run's: globalTeardown stops it.
    stop: () => stack.stop(),
    restart: () => Promise.reject(new Error('the shared server cannot restart: ask for { own: true }')),
    invoke: () =>
      Promise.reject(new Error('invoke a function on a server of your own: ask for { own: true }')),
    log: () => {
      throw new Error('read the log of a server of your own: ask for { own: true }');
    },
  };
}

async function startOwnServer(options: LocalServerOptions): Promise<LocalServer & { pid: number }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'auth-secrets-data-'));
  const shared = options.ownEngine ? undefined : process.env.DYNAMODB_ENDPOINT;
  const tableName = shared ? uniqueTableName('server') : LOCAL_TABLE_NAME;
  // A free port can be taken by another process (another suite's server, an OAuth server binding
  // port 0) between the moment it is found and the moment serverless-offline binds it: then the
  // program exits at once, and it starts again on other ports.
  for (let attempt = 1; ; attempt++) {
    const [httpPort = 0, lambdaPort = 0, dynamoPort = 0] = await distinctFreePorts(3);
    const dynamoEndpoint = shared ?? `http://127.0.0.1:${dynamoPort}`;
    const baseUrl = `http://127.0.0.1:${httpPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...options.env,
      DATA_DIR: dataDir,
      PORT: String(httpPort),
      LAMBDA_PORT: String(lambdaPort),
      TABLE_NAME: tableName,
    };
    if (shared) env.DYNAMODB_ENDPOINT = shared;
    else {
      delete env.DYNAMODB_ENDPOINT;
      env.DYNAMODB_PORT = String(dynamoPort);
    }
    let child: ChildProcess & { output: string[] };
    try {
      child = await launch(env, baseUrl);
    } catch (error) {
      if (attempt < 3 && error instanceof Error && error.message.includes('EADDRINUSE')) continue;
      throw error;
    }
    const lambdaUrl = `http://127.0.0.1:${lambdaPort}`;
    return serverHandle({ baseUrl, lambdaUrl, dataDir, env, child, dynamoEndpoint, tableName });
  }
}

async function serverHandle(started: {
  baseUrl: string;
  lambdaUrl: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  child: ChildProcess & { output: string[] };
  dynamoEndpoint: string;
  tableName: string;
}): Promise<LocalServer & { pid: number }> {
  const { baseUrl, lambdaUrl, dataDir, env, dynamoEndpoint, tableName } = started;
  let { child } = started;
  const earlier: string[] = [];
  const stack = await stackOn(dynamoEndpoint, { keyFile: join(dataDir, 'local-kms.key'), tableName });
  return {
    baseUrl,
    stack,
    dataDir,
    get pid() {
      return child.pid ?? -1;
    },
    invoke: async (fn, event = {}) => {
      const response = await fetch(`${lambdaUrl}/2015-03-31/functions/auth-secrets-local-${fn}/invocations`, {
        method: 'POST',
        body: JSON.stringify(event),
      });
      const text = await response.text();
      if (!response.ok || response.headers.has('x-amz-function-error')) {
        throw new Error(`${fn} failed (${response.status}): ${text.slice(0, 300)}`);
      }
      return text ? (JSON.parse(text) as unknown) : undefined;
    },
    log: () => [...earlier, ...child.output].join(''),
    stop: async () => {
      await stack.stop();
      await terminate(child);
    },
    restart: async ({ crash = false } = {}) => {
      if (crash) {
        await killTree(child);
        // Killed, start.ts could not remove its build folder.
        if (child.pid !== undefined) rmSync(buildFolderOf(child.pid), { recursive: true, force: true });
      } else await terminate(child);
      earlier.push(...child.output);
      child = await launch(env, baseUrl);
    },
  };
}

/** `count` free loopback ports, all different. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

async function launch(env: NodeJS.ProcessEnv, baseUrl: string): Promise<ChildProcess & { output: string[] }> {
  // Node with tsx's loader, not the tsx CLI: the CLI relays signals to a child of its own and
  // SIGKILLs it when the child is slow to acknowledge one (a busy machine), which would orphan the
  // engine and serverless-offline that start.ts stops on SIGTERM.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => output.push(chunk));
  }
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`local server exited early:\n${output.join('')}`);
    try {
      const response = await fetch(`${baseUrl}/v2/users/ready-check`);
      if (response.status === 401) return Object.assign(child, { output });
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  await terminate(child);
  throw new Error(`local server did not answer within 90 s:\n${output.join('')}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** SIGKILL to the program and every process under it: a crash of the whole local stack. */
async function killTree(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  // Freeze top-down (a stopped process starts nothing new), then kill what was frozen.
  const frozen: number[] = [];
  const freeze = (pid: number) => {
    process.kill(pid, 'SIGSTOP');
    frozen.push(pid);
    const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout;
    for (const line of children.split('\n').filter(Boolean)) freeze(Number(line));
  };
  freeze(child.pid);
  for (const pid of frozen) process.kill(pid, 'SIGKILL');
  await exited;
}
