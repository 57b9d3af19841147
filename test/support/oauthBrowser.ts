/**
 * Just enough of a browser to go through the test OAuth server's login and consent pages
 * (test/support/oauth-server.mjs): a cookie jar, fetch with `redirect: 'manual'`, and a form reader.
 *
 *   const browser = new OAuthBrowser();
 *   const callback = await browser.authorize(authorizeUrl, { username: 'alice', password: 'wonderland' });
 *   callback.searchParams.get('code');
 *
 * It follows redirects only within the origin of the URL it was opened with (the provider), and stops at
 * the first one that leaves it (the client's redirect_uri) without fetching that. The form reader is a
 * few regular expressions, which is enough for pages this repository writes itself; it is no HTML parser.
 */

/** A `<form>` on a provider page. */
export interface HtmlForm {
  readonly id: string | undefined;
  /** Lower-case, 'get' when the form does not say. */
  readonly method: string;
  /** Resolved against the page's URL. */
  readonly action: URL;
  /** The form's named `<input>` fields with their preset values (hidden ones included). */
  readonly fields: Readonly<Record<string, string>>;
}

/** Where a navigation stopped: at a page of the provider... */
export interface ProviderPage {
  readonly kind: 'page';
  readonly url: URL;
  readonly status: number;
  readonly text: string;
  readonly forms: readonly HtmlForm[];
  /** The text of the page's `class="error"` element, e.g. why a sign-in was refused. */
  readonly error: string | undefined;
}

/** ...or at a redirect that leaves the provider (not followed). */
export interface LeftProvider {
  readonly kind: 'redirect';
  readonly status: number;
  readonly location: URL;
}

export type BrowserStop = ProviderPage | LeftProvider;

export interface Signer {
  username: string;
  password: string;
  /** Default 'allow'. */
  decision?: 'allow' | 'deny';
}

/** Redirects followed in one navigation before giving up (oidc-provider needs two or three). */
const MAX_REDIRECTS = 10;

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export class OAuthBrowser {
  /** By path, then name: oidc-provider scopes its interaction cookies to /interaction/<uid>. */
  private readonly cookies = new Map<string, StoredCookie>();
  private providerOrigin: string | undefined;

  /**
   * Runs an authorization request to its end as `signer`: signs in on the login page (if the provider
   * shows one), answers the consent page (if it shows one) as `signer.decision` says, and returns the
   * redirect back to the client (its redirect_uri with code and state, or with error) without fetching
   * it. Throws, with the page's status and text, when a page is not the one expected, e.g. the login
   * page again after a wrong password.
   */
  async authorize(authorizeUrl: string | URL, signer: Signer): Promise<URL> {
    const decision = signer.decision ?? 'allow';
    let stop = await this.open(authorizeUrl);
    let signedIn = false;
    let decided = false;
    while (stop.kind === 'page') {
      const login = findForm(stop, 'login');
      const consent = findForm(stop, decision);
      if (login && !signedIn) {
        signedIn = true;
        stop = await this.submit(login, { username: signer.username, password: signer.password });
      } else if (login) {
        throw pageError(
          stop,
          `signing in as ${signer.username} was refused (${stop.error ?? 'no reason given'})`,
        );
      } else if (consent && !decided) {
        decided = true;
        stop = await this.submit(consent);
      } else {
        throw pageError(stop, `expected the login page or a consent page with a "${decision}" form`);
      }
    }
    if (decision === 'deny' && !decided) {
      throw new Error(
        `OAuthBrowser: asked to deny, but the provider sent the browser back to ${stop.location} without asking for consent`,
      );
    }
    return stop.location;
  }

  /**
   * Opens `authorizeUrl` and submits the login form with these credentials, and says where that led: the
   * consent page, the login page again (with `error`) when refused, or the client's redirect_uri.
   */
  async signIn(authorizeUrl: string | URL, username: string, password: string): Promise<BrowserStop> {
    const first = await this.open(authorizeUrl);
    if (first.kind !== 'page') {
      throw new Error(`OAuthBrowser: expected the login page, the provider redirected to ${first.location}`);
    }
    return this.submit(requireForm(first, 'login'), { username, password });
  }

  /** GETs `url` (the provider's from now on) and follows redirects within the provider. */
  async open(url: string | URL): Promise<BrowserStop> {
    const target = new URL(url);
    this.providerOrigin = target.origin;
    return this.navigate(target, 'GET');
  }

  /** Submits `form` with its preset fields overridden by `values`, as a browser does. */
  async submit(form: HtmlForm, values: Record<string, string> = {}): Promise<BrowserStop> {
    const fields = new URLSearchParams({ ...form.fields, ...values });
    if (form.method === 'post') return this.navigate(form.action, 'POST', fields);
    const target = new URL(form.action);
    target.search = fields.toString();
    return this.navigate(target, 'GET');
  }

  private async navigate(start: URL, method: 'GET' | 'POST', body?: URLSearchParams): Promise<BrowserStop> {
    let url = start;
    let request: { method: 'GET' | 'POST'; body?: URLSearchParams } = { method, body };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      if (url.origin !== this.providerOrigin) {
        throw new Error(
          `OAuthBrowser: refusing to fetch ${url}, outside the provider ${this.providerOrigin}`,
        );
      }
      const headers: Record<string, string> = {};
      const cookie = this.cookieHeader(url);
      if (cookie) headers.cookie = cookie;
      if (request.body) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(url, {
        method: request.method,
        headers,
        redirect: 'manual',
        ...(request.body ? { body: request.body } : {}),
      });
      for (const setCookie of response.headers.getSetCookie()) this.storeCookie(url, setCookie);

      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.body?.cancel();
        const next = new URL(location, url);
        if (next.origin !== this.providerOrigin)
          return { kind: 'redirect', status: response.status, location: next };
        // oidc-provider and the harness's pages redirect with 302 and 303, after which a browser GETs.
        url = next;
        request = { method: 'GET' };
        continue;
      }

      const text = await response.text();
      return {
        kind: 'page',
        url,
        status: response.status,
        text,
        forms: readForms(text, url),
        error: readError(text),
      };
    }
    throw new Error(`OAuthBrowser: more than ${MAX_REDIRECTS} redirects from ${start}`);
  }

  private cookieHeader(url: URL): string {
    return [...this.cookies.values()]
      .filter((cookie) => pathMatches(url.pathname, cookie.path))
      .sort((a, b) => b.path.length - a.path.length) // RFC 6265 §5.4: longer paths first
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  /** RFC 6265 §5.2, the parts a single-host test server needs: Path, Max-Age, Expires. */
  private storeCookie(url: URL, header: string): void {
    const [pair = '', ...attributes] = header.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) return;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    let path = defaultCookiePath(url.pathname);
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', ...rest] = attribute.split('=');
      const attributeValue = rest.join('=').trim();
      switch (key.trim().toLowerCase()) {
        case 'path':
          if (attributeValue.startsWith('/')) path = attributeValue;
          break;
        case 'max-age':
          expired = Number(attributeValue) <= 0;
          break;
        case 'expires':
          expired = Date.parse(attributeValue) <= Date.now();
          break;
        default:
          break;
      }
    }
    const key = `${path}\u0000${name}`;
    if (expired) this.cookies.delete(key);
    else this.cookies.set(key, { name, value, path });
  }
}

/** The form with this id, or a clear error naming what the page had instead. */
export function requireForm(page: BrowserStop, id: string): HtmlForm {
  if (page.kind !== 'page') {
    throw new Error(`OAuthBrowser: expected a page with form "${id}", got a redirect to ${page.location}`);
  }
  const form = findForm(page, id);
  if (!form) throw pageError(page, `expected a form "${id}"`);
  return form;
}

function findForm(page: ProviderPage, id: string): HtmlForm | undefined {
  return page.forms.find((form) => form.id === id);
}

function pageError(page: ProviderPage, expectation: string): Error {
  const forms = page.forms.map((form) => form.id ?? '(no id)').join(', ') || 'none';
  const text = htmlToText(page.text).slice(0, 400);
  return new Error(
    `OAuthBrowser: ${expectation}; got HTTP ${page.status} at ${page.url} (forms: ${forms}): ${text}`,
  );
}

function readForms(html: string, base: URL): HtmlForm[] {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(
    ([, formAttributes = '', inner = '']) => {
      const attributes = readAttributes(formAttributes);
      const fields: Record<string, string> = {};
      for (const [, inputAttributes = ''] of inner.matchAll(/<input\b([^>]*)>/gi)) {
        const input = readAttributes(inputAttributes);
        const type = (input.type ?? 'text').toLowerCase();
        // A browser sends a submit button's name only for the button pressed; our pages name none.
        if (input.name === undefined || ['submit', 'button', 'reset', 'image'].includes(type)) continue;
        fields[input.name] = input.value ?? '';
      }
      return {
        id: attributes.id,
        method: (attributes.method ?? 'get').toLowerCase(),
        action: new URL(attributes.action ?? '', base),
        fields,
      };
    },
  );
}

function readAttributes(source: string): Partial<Record<string, string>> {
  const attributes: Partial<Record<string, string>> = {};
  for (const [, name = '', doubleQuoted, singleQuoted, bare] of source.matchAll(
    /([^\s"'=<>/]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g,
  )) {
    attributes[name.toLowerCase()] = decodeHtml(doubleQuoted ?? singleQuoted ?? bare ?? '');
  }
  return attributes;
}

function readError(html: string): string | undefined {
  const match = /<(\w+)\b[^>]*\bclass="[^"]*\berror\b[^"]*"[^>]*>([\s\S]*?)<\/\1>/i.exec(html);
  return match ? htmlToText(match[2] ?? '') : undefined;
}

function htmlToText(html: string): string {
  return decodeHtml(html.replace(/<[^>]*>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeHtml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith('#x') || body.startsWith('#X'))
      return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(Number(body.slice(1)));
    return NAMED_ENTITIES[body.toLowerCase()] ?? entity;
  });
}

function defaultCookiePath(requestPath: string): string {
  const lastSlash = requestPath.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : requestPath.slice(0, lastSlash);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
