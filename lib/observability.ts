/**
 * Logs, metrics and traces, in one place: Powertools for AWS Lambda's Logger, Metrics and Tracer,
 * and the middy middlewares every function runs first (see `observeInvocation`).
 *
 * Logs are one JSON object per line (level, message, service, function name, cold start, request
 * id, and for HTTP requests API Gateway's request id as `correlation_id`), at LOG_LEVEL. They hold
 * only the fields a caller chose: never a request body, a header, an event or a credential. The
 * event is never logged (`logEvent: false`, whatever POWERTOOLS_LOGGER_LOG_EVENT says), and errors
 * are logged as their name and message (`errorFields`), as before, not as objects with causes.
 *
 * Metrics are CloudWatch embedded metric format lines on stdout, in POWERTOOLS_METRICS_NAMESPACE
 * (AuthSecrets) with the dimensions service=POWERTOOLS_SERVICE_NAME (auth-secrets) and, where STAGE
 * is set (every deployed function), stage=STAGE, emitted in Lambda functions only
 * (serverless-offline's included), unless POWERTOOLS_METRICS_DISABLED says otherwise: tests,
 * benchmarks and the admin CLI measure nothing.
 *
 * Traces (X-Ray) are on in AWS Lambda only, and off when POWERTOOLS_TRACE_DISABLED is true (local
 * mode sets it). The tracer is loaded only where tracing is on: its X-Ray SDK turns on an async hook
 * for the whole process when it loads (measured here: awaits 16 times slower) and takes ~100 ms to
 * load, so tests and `npm start` never load it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

const env = process.env;
const SERVICE = env.POWERTOOLS_SERVICE_NAME || 'auth-secrets';
const NAMESPACE = env.POWERTOOLS_METRICS_NAMESPACE || 'AuthSecrets';
/**
 * The deployed stage, a dimension of every metric: stages deployed to one account and region would
 * otherwise add up in one series, and one stage's refresh backlog would trip every stage's alarm.
 */
const STAGE = env.STAGE || undefined;

const isTrue = (value: string | undefined) =>
  ['1', 'true', 'yes', 'on'].includes((value ?? '').toLowerCase());
const isFalse = (value: string | undefined) =>
  ['0', 'false', 'no', 'off'].includes((value ?? '').toLowerCase());

/** Whether this process measures: a Lambda function (or serverless-offline's), unless told. */
const measuring =
  env.POWERTOOLS_METRICS_DISABLED !== undefined
    ? !isTrue(env.POWERTOOLS_METRICS_DISABLED)
    : Boolean(env.AWS_LAMBDA_FUNCTION_NAME);

/** AWS Lambda sets AWS_EXECUTION_ENV; serverless-offline does not. */
const tracing =
  Boolean(env.AWS_EXECUTION_ENV) &&
  !isTrue(env.POWERTOOLS_TRACE_DISABLED) &&
  !isFalse(env.POWERTOOLS_TRACE_ENABLED);

export const logger = new Logger({ serviceName: SERVICE, correlationIdSearchFn: valueAtPath });

/** Metrics' own warnings go to the log, as JSON. */
const metricsWarnings = {
  debug: (message: string) => {
    logger.debug(message);
  },
  info: (message: string) => {
    logger.info(message);
  },
  error: (message: string) => {
    logger.error(message);
  },
  warn: (message: string) => {
    // Counts with dimensions of their own are flushed as they are made (see count): a function
    // that made only those leaves nothing for logMetrics to flush, which is not worth a warning.
    if (!message.startsWith('No application metrics to publish')) logger.warn(message);
  },
};

export const metrics = new Metrics({
  namespace: NAMESPACE,
  serviceName: SERVICE,
  ...(STAGE && { defaultDimensions: { stage: STAGE } }),
  logger: metricsWarnings,
});

/** The tracer, where tracing is on: loading starts with the function, before its first invocation. */
const loadingTracer: Promise<Tracer> | undefined = tracing
  ? import('@aws-lambda-powertools/tracer').then(
      // Outgoing HTTP is not traced: token endpoint and webhook URLs are the tenants', and a URL may
      // carry a secret. The AWS clients are (see traceClient).
      ({ Tracer }) => new Tracer({ serviceName: SERVICE, captureHTTPsRequests: false }),
    )
  : undefined;

/**
 * Records an AWS SDK v3 client's calls as X-Ray subsegments where tracing is on; returns the client
 * unchanged, at no cost, where it is off. Clients made at cold start are captured before the first
 * invocation runs (its tracing middleware waits for the same tracer).
 */
export function traceClient<T extends object>(client: T): T {
  void loadingTracer?.then((tracer) => tracer.captureAWSv3Client(client));
  return client;
}

/** The same, for a client made during an invocation: resolves once it is captured. */
export async function tracedClient<T extends object>(client: T): Promise<T> {
  (await loadingTracer)?.captureAWSv3Client(client);
  return client;
}

type ErrorFields = {
  readonly errorName: string;
  readonly errorMessage?: string;
};

/** What the log says of an error: its name and message, never the error object or its cause. */
function errorFields(error: unknown): ErrorFields {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: typeof error };
}

/** Logs `message` at ERROR with what the log may say of `error` (errorFields) and the caller's `fields`. */
export function logError(
  message: string,
  error: unknown,
  fields: Readonly<Record<string, unknown>> = {},
): void {
  logger.error(message, { ...errorFields(error), ...fields });
}

export type MetricName = 'Requests' | 'RefreshOutcomes' | 'RefreshBacklog' | 'WebhookDeliveries';

/**
 * Counts `value` of `name` with `dimensions` (beside service and stage), in one EMF line of its
 * own, at once: the dimensions of Powertools' shared metrics object apply to everything it
 * flushes, and these differ from count to count. Keep dimension values to small fixed sets.
 */
export function count(name: MetricName, dimensions: Readonly<Record<string, string>>, value = 1): void {
  if (!measuring) return;
  const single = metrics.singleMetric();
  for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
    single.addDimension(dimension, dimensionValue);
  }
  single.addMetric(name, MetricUnit.Count, value);
}

/** Occurrences by dimensions, for a run that counts many things: one `count` per distinct set at its end. */
export class Tally<D extends Readonly<Record<string, string>>> {
  readonly #counts = new Map<string, { readonly dimensions: D; value: number }>();

  add(dimensions: D, value = 1): void {
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => (a < b ? -1 : 1)));
    const entry = this.#counts.get(key);
    if (entry) entry.value += value;
    else this.#counts.set(key, { dimensions, value });
  }

  entries(): ReadonlyArray<{ readonly dimensions: D; readonly value: number }> {
    return [...this.#counts.values()];
  }
}

type Middleware<TEvent, TResult, TContext extends Context> = MiddlewareObj<TEvent, TResult, Error, TContext>;

/** API Gateway's request id (HTTP API, payload 2.0): what an HTTP invocation's logs are correlated by. */
const HTTP_CORRELATION_ID_PATH = 'requestContext.requestId';

/**
 * The middlewares every function runs first, and so last on the way out: the logger's Lambda
 * context, the metrics' cold start and flush, the trace of the invocation and, for the HTTP API
 * (`http`), the correlation id of its logs and the count of its answer (`Requests`). Register them
 * before every other middleware: they then see the final answer (errors rendered, headers added)
 * and change nothing in it.
 */
export function observeInvocation<TEvent, TResult, TContext extends Context>(
  options: { readonly http?: boolean } = {},
): Array<Middleware<TEvent, TResult, TContext>> {
  const chain: Array<Middleware<TEvent, TResult, TContext>> = [
    injectLambdaContext(logger, {
      logEvent: false,
      resetKeys: true,
      ...(options.http ? { correlationIdPath: HTTP_CORRELATION_ID_PATH } : {}),
    }),
  ];
  if (measuring) {
    chain.push(logMetrics(metrics, { captureColdStartMetric: true }));
  }
  if (loadingTracer) chain.push(traceInvocation(loadingTracer));
  if (options.http) chain.push(httpAnswer());
  return chain;
}

/**
 * A function outside the HTTP API (a schedule, the table's stream, the webhook queue), with the same
 * logs, metrics and traces as every other.
 */
export function observedFunction<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return middy<TEvent, TResult>().use(observeInvocation<TEvent, TResult, Context>()).handler(handler);
}

/**
 * Powertools' captureLambdaHandler, once the tracer is loaded, without the response (it holds
 * credentials) and without marking an answered 4xx as a fault: only an error that became a 5xx,
 * or that no middleware answered, is recorded as one.
 */
function traceInvocation<TEvent, TResult, TContext extends Context>(
  loading: Promise<Tracer>,
): Middleware<TEvent, TResult, TContext> {
  const inner = loading.then(async (tracer) => {
    const { captureLambdaHandler } = await import('@aws-lambda-powertools/tracer/middleware');
    const middleware: Middleware<TEvent, TResult, TContext> = captureLambdaHandler(tracer, {
      captureResponse: false,
    });
    return middleware;
  });
  return {
    before: async (request) => {
      await (await inner).before?.(request);
    },
    after: async (request) => {
      await (await inner).after?.(request);
    },
    onError: async (request) => {
      const middleware = await inner;
      const status = statusOf(request.response);
      if (status !== undefined && status < 500) await middleware.after?.(request);
      else await middleware.onError?.(request);
    },
  };
}

/** Each HTTP answer, errors included: counted (`Requests`), and logged at DEBUG (status and route only). */
function httpAnswer<TEvent, TResult, TContext extends Context>(): Middleware<TEvent, TResult, TContext> {
  const record = (request: { event: TEvent; context: TContext; response: TResult | null | undefined }) => {
    // No answer at all: the function fails, and API Gateway answers 500.
    const status = statusOf(request.response) ?? 500;
    const functionName = request.context.functionName || env.AWS_LAMBDA_FUNCTION_NAME || 'unknown';
    count('Requests', { function: functionName, statusClass: `${Math.floor(status / 100)}xx` });
    // The route as declared (`GET /v2/workspaces/{workspaceId}`): no ids, no query, nothing sent.
    logger.debug('request answered', { status, routeKey: valueAtPath('routeKey', request.event) });
  };
  return { after: record, onError: record };
}

function statusOf(response: unknown): number | undefined {
  if (typeof response !== 'object' || response === null || !('statusCode' in response)) return undefined;
  return typeof response.statusCode === 'number' ? response.statusCode : undefined;
}

/**
 * The logger's correlation id lookup: a dotted path (`requestContext.requestId`) into the event.
 * Powertools' own takes JMESPath, and another package, for what is here one fixed path.
 */
function valueAtPath(path: string, data: unknown): unknown {
  let value: unknown = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
