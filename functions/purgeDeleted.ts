import type { Context } from 'aws-lambda';
import { purgeDeletedSecrets } from '../lib/secrets/recovery';
import { logger, observedFunction } from '../lib/observability';
import { prepareAtColdStart, services } from '../lib/services';

/** Time kept back at the end of the run for the last purge to finish. */
const SAFETY_MARGIN_MS = 10_000;

prepareAtColdStart(services);

/** EventBridge schedule (serverless.yml): deletes for good the secrets whose recovery window ended. */
export const handler = observedFunction(async (_event: unknown, context: Context) => {
  const startedAt = Date.now();
  const result = await purgeDeletedSecrets(services(), new Date(), {
    stopStartingAt: startedAt + context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS,
  });
  logger.info('purge of deleted secrets', { ...result, durationMs: Date.now() - startedAt });
  return result;
});
