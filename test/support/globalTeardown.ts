import type { EngineHolder } from './globalSetup';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as EngineHolder).dynamoEngine?.stop();
}
