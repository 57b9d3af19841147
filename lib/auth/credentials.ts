/** What the caller presented: `Authorization: Basic EMAIL:APIKEY` or `X-Auth-Token: APIKEY`. */
export interface PresentedCredentials {
  readonly apiKey: string;
  /** Present with Basic authentication, where it must match the key's owner. */
  readonly email?: string;
}

/**
 * Reads the caller's credentials from (lower-cased) headers. Returns undefined when none were
 * sent or they cannot be read, which the caller answers with 401.
 */
export function readPresentedCredentials(
  headers: Record<string, string | undefined>,
): PresentedCredentials | undefined {
  const token = headers['x-auth-token']?.trim();
  if (token) return { apiKey: token };
  const authorization = headers.authorization?.trim();
  if (!authorization) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(authorization);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  // The e-mail cannot hold a colon but the key is opaque: split at the first one (RFC 7617).
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { email: decoded.slice(0, colon), apiKey: decoded.slice(colon + 1) };
}
