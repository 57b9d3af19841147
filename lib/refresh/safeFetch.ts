import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isForbiddenAddress } from './addressPolicy';

/** Largest token response read; real ones are a few kilobytes. */
const MAX_RESPONSE_BYTES = 256 * 1024;
/** The `code` of the error a response larger than that ends with. */
export const RESPONSE_TOO_LARGE = 'ERESPONSETOOLARGE';

/** Resolves like the system does, then refuses link-local and metadata addresses. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) {
      callback(error, '', 0);
      return;
    }
    const allowed = addresses.filter((entry) => !isForbiddenAddress(entry.address));
    if (allowed.length === 0) {
      const refused = Object.assign(new Error(`${hostname} resolves only to forbidden addresses`), {
        code: 'EFORBIDDENADDRESS',
      });
      callback(refused, '', 0);
      return;
    }
    if (options.all) {
      (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return;
    }
    const [first] = allowed;
    callback(null, first?.address ?? '', first?.family ?? 4);
  });
};

export interface FetchOptions {
  readonly method?: string;
  readonly headers?: Record<string, string> | Headers | [string, string][];
  readonly body?: string | URLSearchParams | null;
  readonly signal?: AbortSignal | null;
}

/**
 * A minimal fetch for token requests (oauth4webapi's customFetch): no redirects followed, the
 * response size bounded, and every connection checked by `guardedLookup`. IP literals never
 * reach lookup, so they are checked here.
 */
export function safeFetch(url: string, options: FetchOptions = {}): Promise<Response> {
  const target = new URL(url);
  const literal = target.hostname.replace(/^\[|\]$/g, '');
  if (/^[\d.]+$|:/.test(literal) && isForbiddenAddress(literal)) {
    return Promise.reject(Object.assign(new Error('forbidden address'), { code: 'EFORBIDDENADDRESS' }));
  }
  const headers = Object.fromEntries(
    new Headers(options.headers as ConstructorParameters<typeof Headers>[0]).entries(),
  );
  const body = options.body === undefined || options.body === null ? undefined : String(options.body);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      target,
      {
        method: options.method ?? 'GET',
        headers,
        lookup: guardedLookup,
        signal: options.signal ?? undefined,
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            request.destroy(Object.assign(new Error('response too large'), { code: RESPONSE_TOO_LARGE }));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined)
              responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = response.statusCode ?? 502;
          const nullBody = status === 204 || status === 304;
          resolve(
            new Response(nullBody ? null : Buffer.concat(chunks), {
              status,
              statusText: response.statusMessage,
              headers: responseHeaders,
            }),
          );
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    if (body !== undefined) request.write(body);
    request.end();
  });
}
