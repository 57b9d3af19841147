/**
 * Python's `base64.b64decode(s)` (non-strict `binascii.a2b_base64`), which Barbican uses both to
 * check a `payload_content_encoding: base64` payload and to decode it: characters outside the
 * alphabet are skipped, a pad ends the data once a quad has two or more characters, and a
 * dangling quad is an error. Node's decoder is more lenient, so answers would differ without it.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));

export class Base64Error extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Base64Error';
  }
}

export function pyB64Decode(input: string | Buffer): Buffer {
  // b64decode accepts a str only if it is ASCII; bytes outside the alphabet are skipped like others.
  if (typeof input === 'string' && /[^\p{ASCII}]/u.test(input)) {
    throw new Base64Error('string argument should contain only ASCII characters');
  }
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const out: number[] = [];
  let quadPosition = 0;
  let leftChar = 0;
  let pads = 0;
  for (const char of text) {
    if (char === '=') {
      // `quad_pos >= 2 && quad_pos + ++pads >= 4`: a pad counts only inside a quad of two or more.
      if (quadPosition >= 2) {
        pads += 1;
        if (quadPosition + pads >= 4) return Buffer.from(out);
      }
      continue;
    }
    const value = VALUES.get(char);
    if (value === undefined) continue;
    pads = 0;
    switch (quadPosition) {
      case 0:
        quadPosition = 1;
        leftChar = value;
        break;
      case 1:
        quadPosition = 2;
        out.push(((leftChar << 2) | (value >> 4)) & 0xff);
        leftChar = value & 0x0f;
        break;
      case 2:
        quadPosition = 3;
        out.push(((leftChar << 4) | (value >> 2)) & 0xff);
        leftChar = value & 0x03;
        break;
      default:
        quadPosition = 0;
        out.push(((leftChar << 6) | value) & 0xff);
        leftChar = 0;
    }
  }
  if (quadPosition === 1) {
    const characters = (Math.floor(out.length / 3) * 4 + 1).toString();
    throw new Base64Error(
      `Invalid base64-encoded string: number of data characters (${characters}) cannot be 1 more than a multiple of 4`,
    );
  }
  if (quadPosition !== 0) throw new Base64Error('Incorrect padding');
  return Buffer.from(out);
}
