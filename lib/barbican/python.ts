/**
 * The few Python built-ins whose exact behaviour Barbican's answers depend on: `str.strip()`,
 * `int(str)`, `urllib.parse.unquote_plus` and `repr` (which jsonschema puts in its messages).
 * Matching them is what makes odd input behave here as it does on Barbican.
 */

/** The characters Python's `str.isspace()` is true for: what `strip()` and `int()` remove. */
const PY_WHITESPACE =
  '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${PY_WHITESPACE}]+`);
const TRAILING = new RegExp(`[${PY_WHITESPACE}]+$`);

/** `str.strip()` with no argument. */
export function pyStrip(value: string): string {
  return value.replace(LEADING, '').replace(TRAILING, '');
}

/** Decimal digits with single underscores between them, as `int()` reads them (PEP 515). */
const PY_DECIMAL = /^([+-]?)(\d+(?:_\d+)*)$/;

/**
 * `int(value)` for a string: surrounding whitespace, a sign and underscores between digits are
 * allowed. Returns undefined where Python raises ValueError. (Python also reads non-ASCII
 * decimal digits; those are treated as not a number here.)
 */
export function pyInt(value: string): bigint | undefined {
  const match = PY_DECIMAL.exec(pyStrip(value));
  if (!match) return undefined;
  const magnitude = BigInt((match[2] ?? '').replaceAll('_', ''));
  return match[1] === '-' ? -magnitude : magnitude;
}

/**
 * `urllib.parse.unquote_plus`: `+` is a space, `%XX` sequences are bytes decoded as UTF-8 with
 * U+FFFD for what does not decode, and a `%` not followed by two hex digits stays as it is.
 */
export function unquotePlus(value: string): string {
  const text = value.replaceAll('+', ' ');
  let result = '';
  let bytes: number[] = [];
  const flush = () => {
    if (bytes.length > 0) result += Buffer.from(bytes).toString('utf8');
    bytes = [];
  };
  for (let index = 0; index < text.length; index++) {
    const hex = text.slice(index + 1, index + 3);
    if (text[index] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      index += 2;
    } else {
      flush();
      result += text[index] ?? '';
    }
  }
  flush();
  return result;
}

/** `repr()` of a JSON value, as Python (and so jsonschema's messages) would write it. */
export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === 'string') return reprString(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${reprString(key)}: ${pyRepr(item)}`);
    return `{${entries.join(', ')}}`;
  }
  // What is left is a bigint, a symbol or a function: none comes out of JSON.
  return typeof value === 'bigint' ? value.toString() : typeof value;
}

function reprString(value: string): string {
  const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
  let body = '';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '\\') body += '\\\\';
    else if (char === quote) body += `\\${quote}`;
    else if (char === '\n') body += '\\n';
    else if (char === '\r') body += '\\r';
    else if (char === '\t') body += '\\t';
    else if (code < 0x20 || code === 0x7f) body += `\\x${code.toString(16).padStart(2, '0')}`;
    else body += char;
  }
  return `${quote}${body}${quote}`;
}
