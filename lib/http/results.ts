import { etagOf, isNotModified } from './preconditions';

/**
 * What a handler returns: a status class and a document. Turning it into an API Gateway
 * response (status code, media type, serialisation) happens in one place, the endpoint factory.
 * `etag` is set on answers that carry one single resource.
 */
export type HttpResult =
  | { readonly kind: 'ok'; readonly document: unknown; readonly etag?: string }
  | {
      readonly kind: 'created';
      readonly document: unknown;
      /** Absent for a resource that has no URL of its own (a connect session). */
      readonly location?: string;
      readonly etag?: string;
    }
  | { readonly kind: 'notModified'; readonly etag: string }
  | { readonly kind: 'noContent' };

export const ok = (document: unknown): HttpResult => ({ kind: 'ok', document });
export const created = (document: unknown, location?: string): HttpResult => ({
  kind: 'created',
  document,
  ...(location !== undefined ? { location } : {}),
});
export const noContent = (): HttpResult => ({ kind: 'noContent' });

/** A single resource that has a revision (v2 secrets, auth-clients, webhooks). */
interface Revised {
  readonly meta: { readonly revision: number };
  readonly links: { readonly self: string };
}

/** 200 with one resource and its ETag. */
export const okResource = (resource: Revised): HttpResult => ({
  kind: 'ok',
  document: { data: resource, meta: {} },
  etag: etagOf(resource.meta.revision),
});

/** 201 with the new resource, where it lives, and its ETag. */
export const createdResource = (resource: Revised): HttpResult => ({
  kind: 'created',
  document: { data: resource, meta: {} },
  location: resource.links.self,
  etag: etagOf(resource.meta.revision),
});

/** 304: the client's copy is the resource at `revision`. */
export const notModified = (revision: number): HttpResult => ({
  kind: 'notModified',
  etag: etagOf(revision),
});

/** A GET of one resource: 304 when the client's `If-None-Match` names it as it is, else 200. */
export function readResource(headers: Readonly<Record<string, string>>, resource: Revised): HttpResult {
  if (isNotModified(headers, resource.meta.revision)) return notModified(resource.meta.revision);
  return okResource(resource);
}

export const STATUS_OF: Record<HttpResult['kind'], number> = {
  ok: 200,
  created: 201,
  notModified: 304,
  noContent: 204,
};
