import { completeConnect } from '../lib/connect/callback';
import { connectAnswer } from '../lib/http/connectAnswer';
import { publicEndpoint } from '../lib/http/endpoint';
import { services } from '../lib/services';

// No credentials: the state it carries names the connect session, which names the user.
export const handler = publicEndpoint(services, async ({ query, report }) => {
  const outcome = await completeConnect(services(), {
    code: query.get('code') ?? undefined,
    state: query.get('state') ?? undefined,
    error: query.get('error') ?? undefined,
    errorDescription: query.get('error_description') ?? undefined,
  });
  if (outcome.session) {
    const { session } = outcome;
    report({
      userId: session.userId,
      workspace: { workspaceId: session.workspaceId, tenantId: session.tenantId },
      targets: {
        connectSessionId: session.id,
        authClientId: session.authClientId,
        ...(outcome.kind === 'connected'
          ? { authSecretId: outcome.secretId }
          : session.secretId !== null
            ? { authSecretId: session.secretId }
            : {}),
      },
    });
  }
  return connectAnswer(outcome);
});
