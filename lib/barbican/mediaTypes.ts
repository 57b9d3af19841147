import { V1_CONTENT_TYPES, type V1ContentType } from '../model';

/**
 * Barbican's payload media types (barbican/plugin/util/mime_types.py): what a payload may be
 * declared as, what that normalises to, and which encodings each allows.
 */
export const SUPPORTED_CONTENT_TYPES = [
  'text/plain',
  'text/plain;charset=utf-8',
  'text/plain; charset=utf-8',
  'application/octet-stream',
  'application/pkcs8',
  'application/pkix-cert',
] as const;

/** `CTYPES_TO_ENCODINGS`: text takes no encoding; the binary types 'base64' (or 'binary'). */
const ENCODINGS: Readonly<Record<V1ContentType, readonly string[] | null>> = {
  'text/plain': null,
  'application/octet-stream': ['base64', 'binary'],
  'application/pkcs8': ['base64', 'binary'],
  'application/pkix-cert': ['base64', 'binary'],
};

/**
 * `normalize_content_type`: the lower-cased type when it is one Barbican stores and its first
 * parameter (if any) says utf-8 (Barbican looks at that parameter's value only, not its name);
 * otherwise undefined, where Barbican keeps the raw string, which is then not supported.
 */
export function normalizeContentType(mediaType: string): V1ContentType | undefined {
  const [type = '', firstParameter] = mediaType.split(';').map((part) => part.trim());
  if (firstParameter !== undefined) {
    const [, charset] = firstParameter.toLowerCase().split('=');
    if (charset === undefined || charset.trim() !== 'utf-8') return undefined;
  }
  const lowered = type.toLowerCase();
  return (V1_CONTENT_TYPES as readonly string[]).includes(lowered) ? (lowered as V1ContentType) : undefined;
}

/** `get_supported_encodings`, as Barbican prints it in its message (`None` for text). */
export function supportedEncodingsText(type: V1ContentType): string {
  const encodings = ENCODINGS[type];
  return encodings ? `[${encodings.map((encoding) => `'${encoding}'`).join(', ')}]` : 'None';
}

/** `is_content_type_with_encoding_supported`. */
export function encodingAllowed(type: V1ContentType, encoding: string | undefined): boolean {
  const encodings = ENCODINGS[type];
  return encodings ? encoding !== undefined && encodings.includes(encoding) : encoding === undefined;
}

interface MediaRange {
  readonly type: string;
  /** The range as written, without its q parameter (Barbican reads parameters such as charset). */
  readonly full: string;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const [type = '', ...parameters] = part.split(';').map((piece) => piece.trim());
      const qParameter = parameters.find((parameter) => /^q\s*=/i.test(parameter));
      const q = qParameter === undefined ? 1 : Number(qParameter.replace(/^q\s*=\s*/i, ''));
      const kept = parameters.filter((parameter) => parameter !== qParameter);
      return { type: type.toLowerCase(), full: [type, ...kept].join(';'), q: Number.isFinite(q) ? q : 0 };
    });
}

/**
 * Whether `GET /v1/secrets/{id}` asks for the metadata (JSON) rather than the payload. Barbican's
 * `is_json_request_accept`: no Accept header, or exactly `application/json` or `*\/*`. A list of
 * ranges asks for JSON when it names application/json or is nothing but `*\/*`.
 */
export function wantsMetadata(accept: string | undefined): boolean {
  if (accept === undefined || !accept.trim()) return true;
  const ranges = parseAccept(accept).filter((range) => range.q > 0);
  return (
    ranges.some((range) => range.type === 'application/json') ||
    (ranges.length > 0 && ranges.every((range) => range.type === '*/*'))
  );
}

/**
 * The media type to give a payload in, from the request's Accept header, or undefined (406).
 * Barbican's rules for a single type: no Accept means application/octet-stream; `*\/*` means
 * the type it was stored as; any supported type may be asked for (text/plain only when the
 * bytes are UTF-8). A list of ranges is tried best q first, `text/*` and `application/*` included.
 */
export function choosePayloadType(
  accept: string | undefined,
  stored: V1ContentType,
  isUtf8: boolean,
): V1ContentType | undefined {
  if (accept === undefined || !accept.trim()) return 'application/octet-stream';
  const ranges = parseAccept(accept)
    .map((range, position) => ({ ...range, position }))
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.position - b.position);
  for (const range of ranges) {
    const candidate =
      range.type === '*/*'
        ? stored
        : range.type === 'text/*'
          ? 'text/plain'
          : range.type === 'application/*'
            ? stored === 'text/plain'
              ? 'application/octet-stream'
              : stored
            : normalizeContentType(range.full);
    if (candidate === 'text/plain' && !isUtf8) continue;
    if (candidate !== undefined) return candidate;
  }
  return undefined;
}

/** The Content-Type of a payload answer (webob adds the charset to text types). */
export function payloadContentType(type: V1ContentType): string {
  return type === 'text/plain' ? 'text/plain; charset=utf-8' : type;
}

/** Whether bytes are valid UTF-8 (what Barbican's decode as text needs). */
export { isUtf8 } from 'node:buffer';
