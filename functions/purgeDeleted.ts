import { purgeDeletedSecrets } from '../lib/secrets/recovery';
import { logInfo } from '../lib/log';
import { prepareAtColdStart, services } from '../lib/services';

prepareAtColdStart(services);

/** EventBridge schedule (serverless.yml): deletes for good the secrets whose recovery window ended. */
export const handler = async () => {
  const startedAt = Date.now();
  const result = await purgeDeletedSecrets(services());
  logInfo('purge of deleted secrets', { purged: result.purged, durationMs: Date.now() - startedAt });
  return result;
};
