import { getUser } from '../lib/directory/useCases';
import { endpoint } from '../lib/http/endpoint';
import { ok } from '../lib/http/results';
import { services } from '../lib/services';

export const handler = endpoint(services, {}, async (request) =>
  ok({ data: await getUser(services(), request.caller, request.path.userId ?? ''), meta: {} }),
);
