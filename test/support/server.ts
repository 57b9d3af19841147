import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LOCAL_TABLE_NAME } from '../../scripts/localStack';
import { stackOn, type TestStack } from './localStack';

export interface LocalServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** Services on the same embedded DynamoDB, for fixtures and raw reads. */
  readonly stack: TestStack;
  readonly dataDir: string;
  /** Stops the server (by the PID this harness started) and waits for it to exit. */
  stop(): Promise<void>;
  /** Stops it and starts it again on the same data directory and ports. */
  restart(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Runs `npm start`'s own program (scripts/start.ts: dynalite + serverless-offline with the real
 * handlers) on free loopback ports and a temporary data directory.
 */
export async function startLocalServer(options: { dataDir?: string } = {}): Promise<LocalServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'auth-secrets-data-'));
  const [httpPort, dynamoPort, lambdaPort] = [await freePort(), await freePort(), await freePort()];
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  let child = await launch(dataDir, httpPort, dynamoPort, lambdaPort, baseUrl);
  const stack = await stackOn(
    `http://127.0.0.1:${dynamoPort}`,
    undefined,
    join(dataDir, 'local-kms.key'),
    LOCAL_TABLE_NAME,
  );
  return {
    baseUrl,
    stack,
    dataDir,
    stop: async () => {
      await stack.stop();
      await terminate(child);
    },
    restart: async () => {
      await terminate(child);
      child = await launch(dataDir, httpPort, dynamoPort, lambdaPort, baseUrl);
    },
  };
}

async function launch(
  dataDir: string,
  httpPort: number,
  dynamoPort: number,
  lambdaPort: number,
  baseUrl: string,
) {
  const child = spawn(process.execPath, [resolve('node_modules/tsx/dist/cli.mjs'), 'scripts/start.ts'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: String(httpPort),
      DYNAMODB_PORT: String(dynamoPort),
      LAMBDA_PORT: String(lambdaPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`local server exited early:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}/v2/users/ready-check`);
      if (response.status === 401) return child;
    } catch {
      // not listening yet
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 250));
  }
  await terminate(child);
  throw new Error(`local server did not answer within 90 s:\n${output}`);
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
