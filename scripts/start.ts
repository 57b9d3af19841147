/**
 * `npm start`: the whole service on this machine. Starts the embedded DynamoDB engine (Amazon
 * DynamoDB Local, data under .data/dynamodb), creates the table if needed, and runs the same
 * handlers through serverless-offline on http://localhost:3000. Ctrl-C stops everything it started.
 *
 * With DYNAMODB_ENDPOINT set it uses that running engine instead of starting one (the tests share
 * one engine this way), and TABLE_NAME names the table (default auth-secrets-local).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalDataKeyProvider } from '../lib/crypto/localDataKeys';
import { startDynamo, waitForDynamo, type DynamoEngine } from './dynamoEngine';
import { startLocalEventPump } from './localEvents';
import { ensureTable, LOCAL_TABLE_NAME, localEnvironment } from './localStack';
import { DATA_DIR, DYNAMO_DATA_PATH, dynamoPort, givenDynamoEndpoint, LOCAL_KEY_FILE } from './localPaths';

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const tableName = process.env.TABLE_NAME || LOCAL_TABLE_NAME;
  const given = givenDynamoEndpoint();
  let engine: DynamoEngine | undefined;
  if (given) {
    await waitForDynamo(given, { withinMs: 60_000 });
  } else {
    mkdirSync(DYNAMO_DATA_PATH, { recursive: true });
    warnOfDynaliteData(DYNAMO_DATA_PATH);
    const startedAt = performance.now();
    engine = await startDynamo({ port: dynamoPort(), dataPath: DYNAMO_DATA_PATH });
    console.log(
      `DynamoDB Local on ${engine.endpoint} (started in ${((performance.now() - startedAt) / 1000).toFixed(1)} s), ` +
        `data in ${DYNAMO_DATA_PATH}`,
    );
  }
  const endpoint = engine?.endpoint ?? given ?? '';
  try {
    await ensureTable(endpoint, tableName);
    // Creating the provider creates the local master key once, before any handler races to.
    new LocalDataKeyProvider(LOCAL_KEY_FILE);
  } catch (error) {
    await engine?.stop();
    throw error;
  }
  if (given) console.log(`DynamoDB Local on ${endpoint} (given by DYNAMODB_ENDPOINT), table ${tableName}`);

  // Each run builds into its own folder (two local servers must not clean up each other's build),
  // and removes it when it stops.
  const buildFolder = `.esbuild-${process.pid}`;
  const offline = spawn(resolve('node_modules/.bin/serverless'), ['offline', 'start', '--stage', 'local'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...localEnvironment({ dynamoEndpoint: endpoint, keyFile: LOCAL_KEY_FILE, tableName }),
      PORT: process.env.PORT ?? '3000',
      ESBUILD_WORK_FOLDER: buildFolder,
    },
  });

  const lambdaEndpoint = `http://127.0.0.1:${process.env.LAMBDA_PORT ?? '3002'}`;
  let pump: { stop: () => Promise<void> } | undefined;
  void untilListening(lambdaEndpoint).then(() => {
    if (stopping) return;
    pump = startLocalEventPump({
      dynamoEndpoint: endpoint,
      tableName,
      lambdaEndpoint,
      functionPrefix: 'auth-secrets-local-',
      checkpointFile: join(DATA_DIR, `stream-checkpoints-${tableName}.json`),
      log: (message) => {
        console.warn(message);
      },
    });
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await pump?.stop();
    if (offline.exitCode === null && offline.signalCode === null) {
      const exited = new Promise((resolveExit) => offline.once('exit', resolveExit));
      offline.kill('SIGTERM');
      // Left running, it would keep the port and answer for a server that is gone.
      const timer = setTimeout(() => offline.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(resolve(buildFolder), { recursive: true, force: true });
    await engine?.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  offline.on('exit', (code) => void stop(code ?? 0));
}

/**
 * dynalite, the engine before DynamoDB Local, kept LevelDB files in the same directory; DynamoDB
 * Local cannot read them and keeps its own file beside them, so that data is not lost but unseen.
 */
function warnOfDynaliteData(path: string): void {
  const files = readdirSync(path);
  if (!existsSync(join(path, 'CURRENT')) || !files.some((name) => name.startsWith('MANIFEST-'))) return;
  console.warn(
    `${path} also holds data written by dynalite (the local engine before DynamoDB Local), which ` +
      'DynamoDB Local cannot read: it starts from its own table. Move the LevelDB files aside to silence this.',
  );
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

/** Resolves once something answers HTTP at `url` (serverless-offline's Lambda API, once it is up). */
async function untilListening(url: string): Promise<void> {
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
  }
}
