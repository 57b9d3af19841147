import { BlockList, isIP } from 'node:net';

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

/**
 * Addresses no token request may reach. BlockList also matches IPv4 rules against IPv4-mapped
 * IPv6 forms (`::ffff:169.254.169.254`, however it is written).
 */
const FORBIDDEN = new BlockList();
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network", 0.0.0.0
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, including 169.254.169.254 (cloud metadata)
FORBIDDEN.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
FORBIDDEN.addSubnet('224.0.0.0', 3, 'ipv4'); // multicast and reserved
FORBIDDEN.addAddress('::', 'ipv6');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6'); // link-local
FORBIDDEN.addSubnet('fd00:ec2::', 32, 'ipv6'); // AWS IMDS over IPv6
FORBIDDEN.addSubnet('ff00::', 8, 'ipv6'); // multicast
FORBIDDEN.addSubnet('64:ff9b::', 96, 'ipv6'); // NAT64 forms of IPv4 addresses
FORBIDDEN.addSubnet('::a9fe:0', 112, 'ipv6'); // the IPv4-compatible form of link-local (::169.254.x.x)

export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return FORBIDDEN.check(address, 'ipv4');
  if (family === 6) return FORBIDDEN.check(address, 'ipv6');
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
