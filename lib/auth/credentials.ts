/** What the caller presented: `Authorization: Basic EMAIL:APIKEY` or `X-Auth-Token: APIKEY`. */
export interface PresentedCredentials {
  readonly apiKey: string;
  /** Present with Basic authentication, where it must match the key's owner. */
  readonly email?: string;
}

/**
 * Reads the caller's credentials from (lower-cased) headers. Returns undefined when none were
 * sent or they cannot be read, which the caller answers with 401.
 *
 * A request that sends both headers must name one key in both: the same key string, and (checked
 * by `authenticate`, as for Basic alone) the e-mail of its owner. Otherwise it would be answered
 * as one of two identities chosen by header precedence, so it is refused like any bad
 * credentials. An Authorization of another scheme beside a token cannot be shown to agree with
 * it, and is refused too: Barbican clients send X-Auth-Token alone, and the document's curl Basic alone.
 */
export function readPresentedCredentials(
  headers: Record<string, string | undefined>,
): PresentedCredentials | undefined {
  const token = headers['x-auth-token']?.trim();
  const authorization = headers.authorization?.trim();
  const basic = authorization ? readBasic(authorization) : undefined;
  if (!token) return basic;
  if (!authorization) return { apiKey: token };
  return basic?.apiKey === token ? basic : undefined;
}

/** `Basic base64(EMAIL:APIKEY)` (RFC 7617), or undefined when it is not that. */
function readBasic(authorization: string): PresentedCredentials | undefined {
  const match = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // The e-mail cannot hold a colon but the key is opaque: split at the first one.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { email: decoded.slice(0, colon), apiKey: decoded.slice(colon + 1) };
}
