import { finishConnect, openConnect, serviceFailure, type ConnectOutcome } from '../lib/connect/callback';
import { connectAnswer, connectAuditOf } from '../lib/http/connectAnswer';
import { publicEndpoint } from '../lib/http/endpoint';
import { logError } from '../lib/observability';
import { services } from '../lib/services';

// No credentials: the state it carries names the connect session, which names the user.
export const handler = publicEndpoint(services, async ({ query, report, recordChange }) => {
  // A parameter sent more than once counts as not sent (RFC 6749 §3.1: never more than once), as
  // API Gateway's joining the copies with commas makes it on AWS: no session is chosen by order.
  const once = (name: string) => {
    const values = query.getAll(name);
    return values.length === 1 ? values[0] : undefined;
  };
  const opened = await openConnect(services(), {
    code: once('code'),
    state: once('state'),
    error: once('error'),
    errorDescription: once('error_description'),
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
    logError('connect failed', error, { connectSessionId: opened.session.id });
    outcome = serviceFailure(opened);
  }
  report(connectAuditOf(opened.session, outcome));
  return connectAnswer(outcome);
});
