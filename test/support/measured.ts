/**
 * Import first (before anything under lib/): this test process then logs at DEBUG and measures as a
 * Lambda function does, which lib/observability.ts decides once, when it loads. jest gives every
 * test file its own modules and environment, so no other suite is affected.
 */
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
// As serverless.yml sets it for every deployed function: a dimension of every metric.
process.env.STAGE = 'test';
process.env.LOG_LEVEL = 'DEBUG';

export type Json = Record<string, unknown>;

/** An EMF line as Powertools writes it: the metric and its dimensions at the top level. */
export interface EmfLine extends Json {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: string[][];
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
}

/** Runs `act` and returns every JSON line it wrote to stdout or stderr (logs and metrics), in order. */
export async function linesWrittenBy(act: () => Promise<unknown>): Promise<Json[]> {
  const written: string[] = [];
  const capture = (chunk: unknown) => {
    written.push(String(chunk));
    return true;
  };
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(capture);
  try {
    await act();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Json);
}

/** The EMF lines of metric `name` among `lines`. */
export function metricLines(lines: readonly Json[], name: string): EmfLine[] {
  return lines.filter(
    (line): line is EmfLine =>
      typeof line._aws === 'object' &&
      (line as EmfLine)._aws.CloudWatchMetrics.some((metric) =>
        metric.Metrics.some((entry) => entry.Name === name),
      ),
  );
}

/** A metric line reduced to what the tests compare: namespace, dimensions (names and values), value. */
export function metricOf(line: EmfLine, name: string) {
  const [definition] = line._aws.CloudWatchMetrics;
  const names = definition?.Dimensions[0] ?? [];
  return {
    namespace: definition?.Namespace,
    dimensions: Object.fromEntries(names.map((dimension) => [dimension, line[dimension]])),
    value: line[name],
  };
}
