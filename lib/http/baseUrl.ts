/**
 * Where this service's absolute URLs start: the v1 API's (`secret_ref`, `Location`,
 * `next`/`previous`, `metadata_ref`) and the OAuth callback's. Like Barbican's
 * `get_base_url_from_request`: the configured base when there
 * is one (`PUBLIC_BASE_URL`, Barbican's `host_href`), otherwise the request's own Host header
 * with the scheme from X-Forwarded-Proto (http when absent).
 */

/** A host (and port) as a Host header may carry it, and nothing that could bend a URL. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function baseUrlOf(
  headers: Readonly<Record<string, string | undefined>>,
  domainName: string | undefined,
  configured: string | undefined,
): string {
  if (configured) return configured;
  const forwardedProto = headers['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const scheme = forwardedProto === 'https' ? 'https' : 'http';
  const host = [headers.host?.trim(), domainName].find((candidate) => candidate && HOST.test(candidate));
  return `${scheme}://${host ?? 'localhost'}`;
}
