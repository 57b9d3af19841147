// The HTTP API's CORS rules (serverless.yml `provider.httpApi.cors`), from CORS_ALLOWED_ORIGINS:
// comma-separated exact origins. Unset or empty: no CORS at all, so no web page can read an answer.
// `npm start` applies this same object (scripts/offlineGateway.ts), so local mode and AWS agree.
//
// No credentials: a page on an allowed origin sends the API key itself (Authorization or
// X-Auth-Token); the browser never attaches Basic credentials it has cached for this host.
/* global URL */
const ALLOWED_HEADERS = [
  'Authorization',
  'X-Auth-Token',
  'X-Project-Id',
  'Content-Type',
  'Content-Encoding',
  'Accept',
  'Idempotency-Key',
  'If-Match',
  'If-None-Match',
];
const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
/** Response headers a page may read beyond the CORS-safelisted ones. */
const EXPOSED_HEADERS = ['Location', 'ETag', 'WWW-Authenticate'];

/** Exactly what a browser sends as `Origin`: scheme://host[:port], lower case, no path, no wildcard. */
function isExactOrigin(value) {
  try {
    const url = new URL(value);
    return ['http:', 'https:'].includes(url.protocol) && url.origin === value;
  } catch {
    return false;
  }
}

module.exports = () => {
  const origins = (process.env.CORS_ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  if (origins.length === 0) return false;
  const invalid = origins.filter((origin) => !isExactOrigin(origin));
  if (invalid.length > 0) {
    throw new Error(
      `CORS_ALLOWED_ORIGINS: ${invalid.join(', ')} is not an exact origin like https://app.example.com (no path, no *)`,
    );
  }
  return {
    allowedOrigins: origins,
    allowedHeaders: ALLOWED_HEADERS,
    allowedMethods: ALLOWED_METHODS,
    exposedResponseHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  };
};
