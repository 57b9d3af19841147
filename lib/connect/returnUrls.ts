/**
 * Where a connect session may send the user's browser back to. An auth-client lists the places
 * (`allowed_return_urls`); a session names one (`return_url`) and is refused unless it is listed,
 * so that nobody can use the service's callback as an open redirect.
 *
 * An entry that is only an origin (`https://app.example.com`) allows every URL on that origin
 * (same scheme, host and port: a prefix match on the text would also allow
 * `https://app.example.com.evil.example`). Any other entry allows exactly that URL.
 */

/** The problem with a return URL (or an allow-list entry) in words, or undefined when it may be used. */
export function returnUrlProblem(value: string, httpAllowedHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (url.protocol === 'http:' && httpAllowedHosts.includes(host)) return undefined;
  return 'must use https';
}

/** Whether `returnUrl` is allowed by one of the entries (each already checked by returnUrlProblem). */
export function isAllowedReturnUrl(returnUrl: string, allowed: readonly string[]): boolean {
  let target: URL;
  try {
    target = new URL(returnUrl);
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    const allowedUrl = new URL(entry);
    if (isOriginOnly(allowedUrl)) return allowedUrl.origin === target.origin;
    return allowedUrl.href === target.href;
  });
}

/** Normalises an entry as it is stored: the URL as the URL parser writes it. */
export function normalisedReturnUrl(value: string): string {
  return new URL(value).href;
}

function isOriginOnly(url: URL): boolean {
  return url.pathname === '/' && url.search === '' && url.hash === '';
}
