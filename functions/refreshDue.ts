import type { Context } from 'aws-lambda';
import { observedFunction } from '../lib/observability';
import { refreshDueSecrets } from '../lib/refresh/schedule';
import { prepareAtColdStart, services } from '../lib/services';

/** Time kept back at the end of the run for the last refreshes to finish and save. */
const SAFETY_MARGIN_MS = 5000;

prepareAtColdStart(services);

/** EventBridge schedule (serverless.yml); also invocable by hand. Returns the run's summary. */
export const handler = observedFunction(async (_event: unknown, context: Context) => {
  const deps = services();
  const stopStartingAt =
    Date.now() + context.getRemainingTimeInMillis() - deps.config.refreshTimeoutMs - SAFETY_MARGIN_MS;
  return refreshDueSecrets(deps, { stopStartingAt });
});
