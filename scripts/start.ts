/**
 * `npm start`: the whole service on this machine. Starts the embedded DynamoDB-compatible server
 * (dynalite, data under .data/), creates the table if needed, and runs the same handlers through
 * serverless-offline on http://localhost:3000. Ctrl-C stops everything it started.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { LocalDataKeyProvider } from '../lib/crypto/localDataKeys';
import { closeServer, ensureTable, LOCAL_TABLE_NAME, localEnvironment, startDynamo } from './localStack';
import { DATA_DIR, DYNAMO_DATA_PATH, dynamoPort, LOCAL_KEY_FILE } from './localPaths';

async function main(): Promise<void> {
  mkdirSync(DATA_DIR, { recursive: true });
  const { server, endpoint } = await startDynamo(dynamoPort(), DYNAMO_DATA_PATH);
  await ensureTable(endpoint, LOCAL_TABLE_NAME);
  // Creating the provider creates the local master key once, before any handler races to.
  new LocalDataKeyProvider(LOCAL_KEY_FILE);
  console.log(`DynamoDB (dynalite) on ${endpoint}, data in ${DYNAMO_DATA_PATH}`);

  // Each run builds into its own folder (two local servers must not clean up each other's build),
  // and removes it when it stops.
  const buildFolder = `.esbuild-${process.pid}`;
  const offline = spawn(resolve('node_modules/.bin/serverless'), ['offline', 'start', '--stage', 'local'], {
    stdio: 'inherit',
    env: {
      ...process.env,
      ...localEnvironment({ dynamoEndpoint: endpoint, keyFile: LOCAL_KEY_FILE }),
      PORT: process.env.PORT ?? '3000',
      ESBUILD_WORK_FOLDER: buildFolder,
    },
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (offline.exitCode === null && offline.signalCode === null) {
      const exited = new Promise((resolveExit) => offline.once('exit', resolveExit));
      offline.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolveWait) => setTimeout(resolveWait, 10_000))]);
    }
    rmSync(resolve(buildFolder), { recursive: true, force: true });
    await closeServer(server);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  offline.on('exit', (code) => void stop(code ?? 0));
}

main().catch((error: unknown) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
