import { startDynamo, type DynamoEngine } from '../../scripts/dynamoEngine';

/**
 * One DynamoDB Local per test run, in memory, shared by every jest worker: workers inherit
 * DYNAMODB_ENDPOINT, and each suite (and each local server) works in a table of its own.
 * Starting the Java engine costs seconds; one per test file would cost minutes.
 */
export default async function globalSetup(): Promise<void> {
  const startedAt = performance.now();
  const engine = await startDynamo();
  (globalThis as EngineHolder).dynamoEngine = engine;
  process.env.DYNAMODB_ENDPOINT = engine.endpoint;
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  console.log(
    `\nDynamoDB Local (in memory) on ${engine.endpoint}, pid ${engine.pid}, started in ${seconds} s`,
  );
}

/** globalSetup and globalTeardown run in the same process, with the same globalThis. */
export interface EngineHolder {
  dynamoEngine?: DynamoEngine;
}
