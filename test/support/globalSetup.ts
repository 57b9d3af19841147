import { startDynamo, type DynamoEngine } from '../../scripts/dynamoEngine';
import { startSharedServer } from './server';

/**
 * One DynamoDB Local per test run, in memory, shared by every jest worker: workers inherit
 * DYNAMODB_ENDPOINT, and each suite (and each local server) works in a table of its own.
 * Starting the Java engine costs seconds; one per test file would cost minutes.
 */
export default async function globalSetup(globalConfig: {
  testPathPatterns?: { patterns?: string[] };
}): Promise<void> {
  // Small blocks: fixtures cross block boundaries with few writes (see test/support/lists.ts).
  process.env.LIST_BLOCK_SIZE ??= String(TEST_LIST_BLOCK_SIZE);
  // Tests assert answers and stored state, not log lines: the run logs nothing unless LOG_LEVEL says
  // otherwise (the suites about logs set their own).
  process.env.LOG_LEVEL ??= 'SILENT';
  const startedAt = performance.now();
  const engine = await startDynamo();
  (globalThis as EngineHolder).dynamoEngine = engine;
  process.env.DYNAMODB_ENDPOINT = engine.endpoint;
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `\nDynamoDB Local (in memory) on ${engine.endpoint}, pid ${engine.pid}, started in ${seconds} s`,
  );
  if (runsEndToEndSuites(globalConfig.testPathPatterns?.patterns ?? [])) {
    const serverStartedAt = performance.now();
    const server = await startSharedServer();
    (globalThis as EngineHolder).sharedServer = server;
    const serverSeconds = ((performance.now() - serverStartedAt) / 1000).toFixed(1);
    console.log(`Shared local server (npm start), pid ${server.pid}, started in ${serverSeconds} s`);
  }
}

/** Whether the run may include an end-to-end suite (no path pattern, or one outside unit/integration). */
function runsEndToEndSuites(patterns: readonly string[]): boolean {
  return patterns.length === 0 || patterns.some((pattern) => !/unit|integration/.test(pattern));
}

const TEST_LIST_BLOCK_SIZE = 20;

/** globalSetup and globalTeardown run in the same process, with the same globalThis. */
export interface EngineHolder {
  dynamoEngine?: DynamoEngine;
  sharedServer?: { stop: () => Promise<void> };
}
