import { NotAcceptableError, UnsupportedMediaTypeError } from '../errors';

export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';
export const JSON_MEDIA_TYPE = 'application/json';

interface MediaRange {
  readonly type: string;
  readonly parameters: string[];
}

function parseMediaRanges(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim().toLowerCase());
      return { type, parameters: parameters.filter((parameter) => !parameter.startsWith('q=')) };
    });
}

/**
 * Picks the response media type from `Accept`. Clients of the document send
 * `application/json` and get it back; JSON:API clients get `application/vnd.api+json`. Per
 * JSON:API, a vnd.api+json range carrying parameters other than ext/profile cannot be served.
 */
export function negotiateResponseType(accept: string | undefined): string {
  if (!accept || !accept.trim()) return JSON_MEDIA_TYPE;
  const ranges = parseMediaRanges(accept);
  const jsonApiRanges = ranges.filter((range) => range.type === JSON_API_MEDIA_TYPE);
  const servableJsonApi = jsonApiRanges.some((range) =>
    range.parameters.every((parameter) => parameter.startsWith('ext=') || parameter.startsWith('profile=')),
  );
  if (jsonApiRanges.length > 0 && !servableJsonApi) {
    // JSON:API: every instance of its media type carries parameters we cannot honour.
    throw new NotAcceptableError('application/vnd.api+json is accepted only without media type parameters.', {
      source: { header: 'Accept' },
    });
  }
  if (ranges.some((range) => range.type === JSON_MEDIA_TYPE)) return JSON_MEDIA_TYPE;
  if (servableJsonApi) return JSON_API_MEDIA_TYPE;
  if (ranges.some((range) => range.type === '*/*' || range.type === 'application/*')) return JSON_MEDIA_TYPE;
  throw new NotAcceptableError(
    `This API answers with ${JSON_MEDIA_TYPE} or ${JSON_API_MEDIA_TYPE}; the Accept header allows neither.`,
    {
      source: { header: 'Accept' },
    },
  );
}

/** Requests with a body must say it is JSON (`application/json` or plain `application/vnd.api+json`). */
export function requireJsonContentType(contentType: string | undefined): void {
  const [range] = parseMediaRanges(contentType ?? '');
  const acceptable =
    range !== undefined &&
    ((range.type === JSON_MEDIA_TYPE &&
      range.parameters.every((parameter) => parameter.startsWith('charset='))) ||
      (range.type === JSON_API_MEDIA_TYPE &&
        range.parameters.every(
          (parameter) => parameter.startsWith('ext=') || parameter.startsWith('profile='),
        )));
  if (!acceptable) {
    throw new UnsupportedMediaTypeError(
      `Send the request body as ${JSON_MEDIA_TYPE} or ${JSON_API_MEDIA_TYPE}.`,
      {
        source: { header: 'Content-Type' },
      },
    );
  }
}
