import { staticEndpoint } from '../lib/http/staticEndpoint';
import { openApiJson } from '../lib/openapi/documents';

// GET /v1/openapi.json, without credentials: the API's description is no secret.
export const handler = staticEndpoint(() => openApiJson('v1'));
