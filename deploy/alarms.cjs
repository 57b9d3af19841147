// CloudWatch alarms, all sent to the alarm topic (README: "Operating it", which repeats what
// each one means and what to do). Generated from serverless.yml, so a new function or a new
// dead-letter queue gets its alarms without an edit here:
// - the HTTP API's 5xx rate (`--param http5xxAlarmPercent`, default 5, over 5 minutes);
// - every function's Errors and Throttles;
// - the scheduled refresh's longest run above 80% of its timeout;
// - the refresh backlog (the metric refreshDue emits at the end of each run) for 15 minutes;
// - every dead-letter queue: a queue's redrive target, or a function's stream on-failure destination.
// osls's own naming of the resources it generates (functions, routes), so the references match.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file, loaded by require()
const naming = require('osls/lib/plugins/aws/lib/naming');

const PERIOD_SECONDS = 300;
/** The scheduled refresh: its Duration alarm fires above this share of its timeout. */
const REFRESH_FUNCTION = 'refreshDue';
const NEAR_TIMEOUT = 0.8;
const BACKLOG_METRIC = 'RefreshBacklog';
const BACKLOG_PERIODS = 3;

const getAttOf = (value) =>
  value && Array.isArray(value['Fn::GetAtt']) ? value['Fn::GetAtt'][0] : undefined;

/** Every queue a dead letter ends up in, with what sends it there. */
function deadLetterQueues(resources, functions) {
  const queues = new Map();
  for (const [logicalId, resource] of Object.entries(resources)) {
    const target = getAttOf(resource?.Properties?.RedrivePolicy?.deadLetterTargetArn);
    if (resource?.Type !== 'AWS::SQS::Queue' || !target) continue;
    const consumers = Object.entries(functions)
      .filter(([, fn]) => (fn.events ?? []).some((event) => getAttOf(event?.sqs?.arn) === logicalId))
      .map(([name]) => name);
    queues.set(target, {
      meaning: `Messages of ${logicalId} that were received too often without being deleted (maxReceiveCount ${resource.Properties.RedrivePolicy.maxReceiveCount}): each crashed or timed out its worker (${consumers.join(', ') || 'none'}) every time.`,
      action: `Find the failures in the worker's log group and in its Errors alarm; once fixed, move the messages back to ${logicalId} (SQS console: Start DLQ redrive), or read and delete them.`,
    });
  }
  for (const [name, fn] of Object.entries(functions)) {
    for (const event of fn.events ?? []) {
      const target = getAttOf(event?.stream?.destinations?.onFailure?.arn);
      if (!target) continue;
      queues.set(target, {
        meaning: `Batches ${name} failed on after all its retries (its stream's on-failure destination). The records themselves are not in the message: it names the shard and sequence numbers of the batch.`,
        action: `Find the failure in the log group of ${name} and in its Errors alarm; fix it, then replay the batch from the stream while it is still there (24 hours), and delete the message.`,
      });
    }
  }
  return queues;
}

module.exports = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const existingTopicArn = await resolveVariable('self:custom.existingAlarmTopicArn');
  const percentParam = await resolveVariable('self:custom.http5xxAlarmPercent');
  const percent = Number(percentParam);
  if (!(percent > 0 && percent <= 100)) {
    throw new Error(
      `--param http5xxAlarmPercent=${percentParam}: expected a percentage above 0, at most 100`,
    );
  }
  const functions = await resolveVariable('self:functions');
  const providerTimeout = await resolveVariable('self:provider.timeout');
  const namespace = await resolveVariable('self:provider.environment.POWERTOOLS_METRICS_NAMESPACE');
  const metricsService = await resolveVariable('self:provider.environment.POWERTOOLS_SERVICE_NAME');
  const metricsStage = await resolveVariable('self:provider.environment.STAGE');
  // The first `resources` entry holds the queues (serverless.yml); not `self:resources`, which
  // holds this file's own answer.
  const resources = (await resolveVariable('self:resources.0.Resources')) ?? {};

  const topic = { 'Fn::If': ['CreateAlarmTopic', { Ref: 'AlarmTopic' }, existingTopicArn] };
  const alarmsOut = {};
  const alarm = (logicalId, suffix, { meaning, action }, properties) => {
    const description = `${meaning} What to do: ${action}`;
    if (description.length > 1024) throw new Error(`${logicalId}: AlarmDescription over 1024 characters`);
    alarmsOut[logicalId] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: `${service}-${stage}-${suffix}`,
        AlarmDescription: description,
        ActionsEnabled: true,
        AlarmActions: [topic],
        OKActions: [topic],
        TreatMissingData: 'notBreaching',
        ...properties,
      },
    };
  };
  const metric = (namespaceOf, name, dimensions, stat) => ({
    Namespace: namespaceOf,
    MetricName: name,
    Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: stat,
    Period: PERIOD_SECONDS,
  });
  const aboveZero = { EvaluationPeriods: 1, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' };

  const api = { ApiId: { Ref: 'HttpApi' } };
  alarm(
    'HttpApi5xxRateAlarm',
    'http-5xx-rate',
    {
      meaning: `More than ${percent}% of the HTTP API's answers in 5 minutes were 5xx: functions failing or timing out (API Gateway answers 500 or 503), or answering 502/503/504 because token endpoints fail.`,
      action: `Read the access logs (/aws/http-api/${service}-${stage}) for the failing routeKey, status and integrationError; then that function's Errors alarm and log group. A 502, 503 or 504 with integrationStatus 200 is the function's own answer: a token endpoint failing (the secret's meta.last_refresh_error says which).`,
    },
    {
      Metrics: [
        {
          Id: 'errors',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: '5xx',
              Dimensions: [{ Name: 'ApiId', Value: api.ApiId }],
            },
            Period: PERIOD_SECONDS,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'requests',
          MetricStat: {
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: 'Count',
              Dimensions: [{ Name: 'ApiId', Value: api.ApiId }],
            },
            Period: PERIOD_SECONDS,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'rate',
          Label: '5xx answers, % of requests',
          Expression: 'IF(requests > 0, 100 * errors / requests, 0)',
          ReturnData: true,
        },
      ],
      EvaluationPeriods: 1,
      Threshold: percent,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  );

  for (const [name, fn] of Object.entries(functions)) {
    const functionId = naming.getNormalizedFunctionName(name);
    const dimensions = { FunctionName: { Ref: naming.getLambdaLogicalId(name) } };
    const logGroup = `/aws/lambda/${service}-${stage}-${name}`;
    const retried = (fn.events ?? []).some((event) => event.stream || event.sqs || event.schedule);
    alarm(
      `${functionId}ErrorsAlarm`,
      `${name}-errors`,
      {
        meaning: `${name} failed (an uncaught error or a timeout) at least once in 5 minutes${retried ? '; Lambda retries its event' : ': the caller got a 500 or 503'}.`,
        action: `Search ${logGroup} for level ERROR and "Task timed out"; the X-Ray trace of the failing request shows which call failed. Fix, or redeploy the last good version.`,
      },
      { ...metric('AWS/Lambda', 'Errors', dimensions, 'Sum'), ...aboveZero },
    );
    alarm(
      `${functionId}ThrottlesAlarm`,
      `${name}-throttles`,
      {
        meaning: `Lambda refused to run ${name} at least once in 5 minutes: the account's (or the function's reserved) concurrency was used up${retried ? '; its event is retried' : ': the caller got an error answer (500)'}.`,
        action: `See the account's ConcurrentExecutions metric and which functions use it; raise the Lambda concurrency quota, or lower the HTTP API's throttling (--param throttleRate/throttleBurst).`,
      },
      { ...metric('AWS/Lambda', 'Throttles', dimensions, 'Sum'), ...aboveZero },
    );
  }

  const refresh = functions[REFRESH_FUNCTION];
  if (!refresh) throw new Error(`no function ${REFRESH_FUNCTION} to watch`);
  const timeoutSeconds = Number(refresh.timeout ?? providerTimeout);
  const limitMs = Math.floor(timeoutSeconds * 1000 * NEAR_TIMEOUT);
  alarm(
    `${naming.getNormalizedFunctionName(REFRESH_FUNCTION)}DurationAlarm`,
    `${REFRESH_FUNCTION}-near-timeout`,
    {
      meaning: `A scheduled refresh run took more than ${limitMs / 1000} s of its ${timeoutSeconds} s timeout: more secrets were due than a run refreshes, or token endpoints answer slowly. The run stops starting refreshes before its deadline; what it leaves waits for the next run.`,
      action: `Read the run's "scheduled refresh" log line (refreshed, failed, skipped, backlog, durationMs) and its X-Ray trace for slow token endpoints; watch the RefreshBacklog alarm. Raise REFRESH_CONCURRENCY, or lower REFRESH_TIMEOUT_MS.`,
    },
    {
      ...metric(
        'AWS/Lambda',
        'Duration',
        { FunctionName: { Ref: naming.getLambdaLogicalId(REFRESH_FUNCTION) } },
        'Maximum',
      ),
      EvaluationPeriods: 1,
      Threshold: limitMs,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  );

  alarm(
    'RefreshBacklogAlarm',
    'refresh-backlog',
    {
      meaning: `Secrets due for refresh were left unrefreshed at the end of scheduled runs for ${(BACKLOG_PERIODS * PERIOD_SECONDS) / 60} minutes (${namespace} ${BACKLOG_METRIC} above 0): access tokens may expire before they are refreshed.`,
      action: `Check the ${REFRESH_FUNCTION} Errors, Throttles and near-timeout alarms and its "scheduled refresh" log lines; raise REFRESH_CONCURRENCY, or shorten REFRESH_SCHEDULE, until the backlog drains.`,
    },
    {
      ...metric(namespace, BACKLOG_METRIC, { service: metricsService, stage: metricsStage }, 'Maximum'),
      EvaluationPeriods: BACKLOG_PERIODS,
      DatapointsToAlarm: BACKLOG_PERIODS,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    },
  );

  for (const [queue, text] of deadLetterQueues(resources, functions)) {
    alarm(`${queue}Alarm`, `${queue}-messages`, text, {
      ...metric(
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        { QueueName: { 'Fn::GetAtt': [queue, 'QueueName'] } },
        'Maximum',
      ),
      ...aboveZero,
    });
  }
  return { Resources: alarmsOut };
};
