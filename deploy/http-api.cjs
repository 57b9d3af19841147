// The HTTP API's stage, beyond what serverless.yml's `httpApi` can say (README: "Operating it").
//
// `accessLogFormat`: one JSON line per request (`provider.logs.httpApi.format`).
// `stage`: a `resources` entry extending the `HttpApiStage` that osls generates with throttling,
// for every route (`throttleRate`/`throttleBurst`) and, tighter, for the refresh on demand, which
// calls a provider's token endpoint each time (`refreshThrottleRate`/`refreshThrottleBurst`).
// osls has no setting for stage throttling: `resources.extensions` merges these properties into
// its stage.
// osls's own naming of the resources it generates (functions, routes), so the references match.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file, loaded by require()
const naming = require('osls/lib/plugins/aws/lib/naming');

/** The function whose route gets its own, lower limits. */
const REFRESH_FUNCTION = 'secretsRefresh';

/** API Gateway's `$context` variables for HTTP APIs; no header, query string or body is logged. */
const ACCESS_LOG = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  // The function's own request id: its log lines and its X-Ray trace carry the same one.
  integrationRequestId: '$context.integration.requestId',
  integrationStatus: '$context.integration.integrationStatus',
  integrationLatency: '$context.integration.latency',
  integrationError: '$context.integration.error',
  errorMessage: '$context.error.message',
};

/** A parameter's value as a number, or an error naming the parameter. */
function limit(name, value, { integer }) {
  const number = Number(value);
  const valid = String(value).trim() !== '' && Number.isFinite(number) && number >= 0;
  if (!valid || (integer && !Number.isInteger(number))) {
    throw new Error(
      `--param ${name}=${value}: expected ${integer ? 'a whole number' : 'a number'} of requests, 0 or more`,
    );
  }
  return number;
}

async function stage({ resolveVariable }) {
  const throttling = await resolveVariable('self:custom.throttling');
  const events = (await resolveVariable(`self:functions.${REFRESH_FUNCTION}.events`)) ?? [];
  const refreshRoutes = events.map((event) => event.httpApi).filter((route) => typeof route === 'string');
  if (refreshRoutes.length !== 1) throw new Error(`${REFRESH_FUNCTION} must have exactly one httpApi route`);
  const [refreshRoute] = refreshRoutes;
  return {
    extensions: {
      HttpApiStage: {
        Properties: {
          DefaultRouteSettings: {
            DetailedMetricsEnabled: false,
            ThrottlingRateLimit: limit('throttleRate', throttling.rate, { integer: false }),
            ThrottlingBurstLimit: limit('throttleBurst', throttling.burst, { integer: true }),
          },
          RouteSettings: {
            [refreshRoute]: {
              ThrottlingRateLimit: limit('refreshThrottleRate', throttling.refreshRate, { integer: false }),
              ThrottlingBurstLimit: limit('refreshThrottleBurst', throttling.refreshBurst, { integer: true }),
            },
          },
        },
        // A stage naming a route in RouteSettings fails to deploy while that route does not exist yet.
        DependsOn: [naming.getHttpApiRouteLogicalId(refreshRoute)],
      },
    },
  };
}

module.exports = { accessLogFormat: JSON.stringify(ACCESS_LOG), stage };
