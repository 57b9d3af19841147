import type { EngineHolder } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as EngineHolder;
  // The server first: it uses the engine.
  await holder.sharedServer?.stop();
  await holder.dynamoEngine?.stop();
}
