import { getWorkspace } from '../lib/directory/useCases';
import { workspaceEndpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = workspaceEndpoint(services, 'member', {}, async (request) =>
  ok({ data: await getWorkspace(services(), request.membership), meta: {} }),
);
