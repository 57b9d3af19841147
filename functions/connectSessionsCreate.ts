import { createConnectSession } from '../lib/connect/sessions';
import { readConnectSessionDocument } from '../lib/connect/input';
import { baseUrlOf } from '../lib/http/baseUrl';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { created } from '../lib/http/results';
import { services } from '../lib/services';

// The permission depends on the document (create, or edit to reconnect a secret): the use case
// checks it. Not idempotent: a kept answer would keep the state, and a retry costs one more session
// that nobody uses (it expires).
export const handler = workspaceEndpoint(services, 'member', { acceptsBody: true }, async (request) => {
  const session = await createConnectSession(
    services(),
    request.membership,
    readConnectSessionDocument(request.body),
    baseUrlOf(request.headers, request.domainName, services().config.publicBaseUrl),
  );
  return created({ data: session, meta: {} });
});
