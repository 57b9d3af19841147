/**
 * What a handler returns: a status class and a document. Turning it into an API Gateway
 * response (status code, media type, serialisation) happens in one place, the endpoint factory.
 */
export type HttpResult =
  | { readonly kind: 'ok'; readonly document: unknown }
  | { readonly kind: 'created'; readonly document: unknown; readonly location: string }
  | { readonly kind: 'noContent' };

export const ok = (document: unknown): HttpResult => ({ kind: 'ok', document });
export const created = (document: unknown, location: string): HttpResult => ({
  kind: 'created',
  document,
  location,
});
export const noContent = (): HttpResult => ({ kind: 'noContent' });

export const STATUS_OF: Record<HttpResult['kind'], number> = { ok: 200, created: 201, noContent: 204 };
