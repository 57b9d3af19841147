import { isIP } from 'node:net';

/**
 * Where a token request may go. Token endpoint URLs are https, except on hosts the operator
 * allow-lists for plain http (local mode and tests allow loopback). Whatever the URL says, no
 * request ever connects to a link-local, metadata or unspecified address: the check runs on the
 * addresses the host name resolves to, at connect time, so DNS tricks do not get around it.
 */

const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return (
      a === 0 || // "this network", 0.0.0.0
      (a === 169 && b === 254) || // link-local, including 169.254.169.254 (cloud metadata)
      address === '100.100.100.200' || // Alibaba Cloud metadata
      a >= 224 // multicast and reserved
    );
  }
  if (family === 6) {
    const lower = address.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped?.[1]) return isForbiddenAddress(mapped[1]);
    return (
      lower === '::' ||
      /^fe[89ab][0-9a-f]:/.test(lower) || // link-local fe80::/10
      lower.startsWith('fd00:ec2:') || // AWS IMDS over IPv6
      lower.startsWith('ff') // multicast
    );
  }
  return true;
}

export function isForbiddenHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return METADATA_HOSTS.has(host) || (isIP(host) !== 0 && isForbiddenAddress(host));
}

/** Returns a problem with the URL in words, or undefined when it may be used. */
export function tokenUrlProblem(tokenUrl: string, httpAllowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.hash) return 'must not contain a fragment';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isForbiddenHost(host)) return 'must not point at a link-local or metadata address';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && httpAllowedHosts.includes(host)) return undefined;
  return 'must use https';
}
