import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { openApiJson } from '../../lib/openapi/documents';

const ROOT = resolve(__dirname, '..', '..');
type Json = Record<string, unknown>;

/** Every `METHOD /path` serverless.yml routes, as API Gateway's route keys. */
function routedKeys(): string[] {
  const template = readFileSync(resolve(ROOT, 'serverless.yml'), 'utf8');
  return [...template.matchAll(/httpApi: '([A-Z]+ \/[^']+)'/g)].map((match) => match[1] ?? '');
}

describe.each(['v1', 'v2'] as const)('the %s OpenAPI document', (version) => {
  const document = JSON.parse(openApiJson(version)) as Json;
  const paths = document.paths as Record<string, Record<string, Json>>;

  test('is the one committed in openapi/ (run npm run openapi after changing the API)', () => {
    // Act
    const committed = readFileSync(resolve(ROOT, 'openapi', `${version}.json`), 'utf8');

    // Assess
    expect(committed).toBe(openApiJson(version));
  });

  test('describes every route of its API, and no other', () => {
    // Prepare
    const routed = routedKeys().filter((key) => key.includes(` /${version}/`));

    // Act
    const described = Object.entries(paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );

    // Assess
    expect(described.sort()).toEqual(routed.sort());
  });

  test('names every path parameter, and every schema in it compiles (JSON Schema 2020-12)', () => {
    // Prepare
    const ajv = new Ajv2020({ strict: false });
    addFormats(ajv);
    ajv.addSchema({ ...document, $id: 'document.json' });

    // Act
    const problems: string[] = [];
    for (const [path, methods] of Object.entries(paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const named = ((operation.parameters ?? []) as Json[])
          .filter((p) => p.in === 'path')
          .map((p) => p.name);
        const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
        if (JSON.stringify(named.sort()) !== JSON.stringify(inPath.sort()))
          problems.push(`${method} ${path}: ${named}`);
        if (Object.keys(operation.responses as Json).length < 2)
          problems.push(`${method} ${path}: no error statuses`);
      }
    }
    const schemas = Object.keys((document.components as Json).schemas as Json);
    for (const name of schemas) ajv.compile({ $ref: `document.json#/components/schemas/${name}` });

    // Assess
    expect(problems).toEqual([]);
    expect(schemas.length).toBeGreaterThan(5);
  });

  test('says how to authenticate: HTTP Basic and X-Auth-Token', () => {
    // Act
    const schemes = (document.components as Json).securitySchemes as Json;

    // Assess
    expect(schemes).toMatchObject({
      basic: { type: 'http', scheme: 'basic' },
      apiKey: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
    });
  });
});
