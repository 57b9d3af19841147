import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Checks an answer of the API against its OpenAPI document (openapi/v1.json, openapi/v2.json, as
 * `npm run openapi` writes them from the code): the status must be one the operation lists, the
 * headers it says are required must be there (with the value it fixes, if any), the media type one
 * it lists, and a JSON body valid against its schema. The e2e suites' HTTP clients run every
 * answer through this, so the document and the API cannot drift apart. A request to a path or
 * method the document does not have (tests of unknown routes) is not checked.
 */
type Json = Record<string, unknown>;

interface Operation {
  readonly template: string;
  readonly pointer: string;
  readonly operation: Json;
}

class OpenApiDocument {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Array<{ template: string; pattern: RegExp; literal: number }>;

  constructor(
    private readonly id: string,
    private readonly document: Json,
  ) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: id });
    this.routes = Object.keys(document.paths as Json).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
      // Prefer the route with more literal text (`/v2/openapi.json` over `/v2/workspaces/{id}`).
      literal: template.replace(/\{[^}]+\}/g, '').length,
    }));
  }

  operation(method: string, path: string): Operation | undefined {
    const route = this.routes
      .filter((candidate) => candidate.pattern.test(path))
      .sort((a, b) => b.literal - a.literal)[0];
    if (!route) return undefined;
    const verb = method.toLowerCase();
    const operation = (this.document.paths as Record<string, Json>)[route.template]?.[verb] as
      Json | undefined;
    if (!operation) return undefined;
    return { template: route.template, pointer: `/paths/${escape(route.template)}/${verb}`, operation };
  }

  /** Follows a `$ref` within the document. */
  resolve(value: Json): { value: Json; pointer?: string } {
    const target = value.$ref;
    if (typeof target !== 'string') return { value };
    const pointer = target.replace(/^#/, '');
    let current: unknown = this.document;
    for (const part of pointer.split('/').slice(1)) current = (current as Json)[unescape(part)];
    return { value: current as Json, pointer };
  }

  validator(pointer: string): ValidateFunction {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${this.id}#${pointer}` });
      this.validators.set(pointer, validate);
    }
    return validate;
  }
}

const escape = (part: string) => part.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (part: string) => part.replace(/~1/g, '/').replace(/~0/g, '~');

const documents = new Map<string, OpenApiDocument>();

function documentFor(path: string): OpenApiDocument | undefined {
  const version = /^\/(v[12])\//.exec(path)?.[1];
  if (version === undefined) return undefined;
  let document = documents.get(version);
  if (!document) {
    const file = resolve(__dirname, '..', '..', 'openapi', `${version}.json`);
    document = new OpenApiDocument(`${version}.json`, JSON.parse(readFileSync(file, 'utf8')) as Json);
    documents.set(version, document);
  }
  return document;
}

export class OpenApiMismatch extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiMismatch';
  }
}

/** Throws an OpenApiMismatch when the answer is not one the document describes. */
export function checkAgainstOpenApi(
  method: string,
  url: string | URL,
  answer: { status: number; headers: Headers; text: string },
): void {
  const path = new URL(url).pathname;
  const document = documentFor(path);
  const found = document?.operation(method, path);
  if (!document || !found) return;
  const where = `${method.toUpperCase()} ${found.template} answered ${answer.status}`;
  const responses = found.operation.responses as Record<string, Json>;
  const listed = responses[String(answer.status)] ?? responses.default;
  if (!listed) {
    throw new OpenApiMismatch(
      `${where}, a status the OpenAPI document does not list: ${answer.text.slice(0, 300)}`,
    );
  }
  const { value: response, pointer: responsePointer } = document.resolve(listed);
  const base = responsePointer ?? `${found.pointer}/responses/${answer.status}`;
  for (const [name, header] of Object.entries((response.headers ?? {}) as Record<string, Json>)) {
    const value = answer.headers.get(name);
    if (header.required && value === null) throw new OpenApiMismatch(`${where} without its ${name} header`);
    const fixed = (header.schema as Json | undefined)?.const;
    if (value !== null && fixed !== undefined && value !== fixed) {
      throw new OpenApiMismatch(`${where} with ${name}: ${value}, where the document says ${String(fixed)}`);
    }
  }
  const content = response.content as Record<string, Json> | undefined;
  if (!content || answer.status === 204 || answer.status === 304) {
    if (answer.text !== '' && answer.status !== 303) {
      throw new OpenApiMismatch(`${where} with a body the document does not describe`);
    }
    return;
  }
  const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
  if (!(mediaType in content)) {
    throw new OpenApiMismatch(
      `${where} as ${mediaType || 'no media type'}, not one of ${Object.keys(content).join(', ')}`,
    );
  }
  if (!/json/.test(mediaType)) return;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new OpenApiMismatch(`${where} with a body that is not JSON: ${answer.text.slice(0, 200)}`);
  }
  const validate = document.validator(`${base}/content/${escape(mediaType)}/schema`);
  if (!validate(body)) {
    const problems = (validate.errors ?? [])
      .slice(0, 5)
      .map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
      .join('; ');
    throw new OpenApiMismatch(
      `${where} with a body the document's schema refuses: ${problems}\n${answer.text.slice(0, 400)}`,
    );
  }
}
