import { v1Document } from './v1';
import { v2Document } from './v2';
import type { JsonSchema } from './jsonSchema';

/** The two OpenAPI documents, built once per container (they never change while it runs). */
const built = new Map<'v1' | 'v2', string>();

/** The document of an API version, as the JSON the endpoint serves and `npm run openapi` writes. */
export function openApiJson(version: 'v1' | 'v2'): string {
  let text = built.get(version);
  if (text === undefined) {
    const document: JsonSchema = version === 'v2' ? v2Document() : v1Document();
    text = `${JSON.stringify(document, null, 2)}\n`;
    built.set(version, text);
  }
  return text;
}
