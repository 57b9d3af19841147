/**
 * npm run openapi: writes the OpenAPI documents the API serves (GET /v2/openapi.json and
 * GET /v1/openapi.json) to openapi/, so that a change to what the API takes or answers shows in
 * review as a diff of these files. test/unit/openapi.test.ts fails when they are stale.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiJson } from '../lib/openapi/documents';

for (const version of ['v1', 'v2'] as const) {
  const path = resolve('openapi', `${version}.json`);
  writeFileSync(path, openApiJson(version));
  console.log(`wrote ${path}`);
}
