import { finishConnect, openConnect, serviceFailure, type ConnectOutcome } from '../lib/connect/callback';
import { connectAnswer, connectAuditOf } from '../lib/http/connectAnswer';
import { publicEndpoint } from '../lib/http/endpoint';
import { errorFields, logger } from '../lib/observability';
import { services } from '../lib/services';

// No credentials: the state it carries names the connect session, which names the user.
export const handler = publicEndpoint(services, async ({ query, report, recordChange }) => {
  const opened = await openConnect(services(), {
    code: query.get('code') ?? undefined,
    state: query.get('state') ?? undefined,
    error: query.get('error') ?? undefined,
    errorDescription: query.get('error_description') ?? undefined,
  });
  if (opened.kind === 'failed') {
    if (opened.session) report(connectAuditOf(opened.session, opened));
    return connectAnswer(opened);
  }
  // A change that cannot be recorded is not made (as for every other change).
  report(connectAuditOf(opened.session));
  await recordChange();
  let outcome: ConnectOutcome;
  try {
    outcome = await finishConnect(services(), opened);
  } catch (error) {
    // The session is used up: the user's browser still goes back to the platform, told so.
    logger.error('connect failed', { ...errorFields(error), connectSessionId: opened.session.id });
    outcome = serviceFailure(opened);
  }
  report(connectAuditOf(opened.session, outcome));
  return connectAnswer(outcome);
});
