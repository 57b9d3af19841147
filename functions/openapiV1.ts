import { publicEndpoint } from '../lib/http/endpoint';
import { openApiJson } from '../lib/openapi/documents';
import { services } from '../lib/services';

// GET /v1/openapi.json, without credentials: the API's description is no secret.
export const handler = publicEndpoint(services, () =>
  Promise.resolve({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: openApiJson('v1'),
  }),
);
