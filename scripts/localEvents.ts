import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { TableQueue } from '../lib/store/localQueue';
import { SECRET_ITEM_PREFIX } from '../lib/store/secretStream';
import { Table } from '../lib/store/table';
import { LOCAL_CREDENTIALS } from './dynamoEngine';

/**
 * Local mode's stand-ins for the managed parts that carry events on AWS: the DynamoDB Streams
 * event source of `publishEvents` and the SQS event source of `deliverWebhooks`. Both invoke the
 * functions through serverless-offline's Lambda API, with the events AWS would send, so the same
 * handlers run. Both survive a SIGKILL of `npm start`: the stream position is checkpointed in a
 * file only after its batch was handled (DynamoDB Local keeps the stream on disk), and queued jobs
 * live in the table.
 */
export interface LocalEventPumpOptions {
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  /** serverless-offline's Lambda API, e.g. http://127.0.0.1:3002 */
  readonly lambdaEndpoint: string;
  /** `<service>-<stage>-`, the prefix of every function's name. */
  readonly functionPrefix: string;
  readonly checkpointFile: string;
  readonly log: (message: string) => void;
}

/** How often an idle pump looks again: changes reach webhooks within about this long. */
const POLL_MS = 500;
const DESCRIBE_EVERY_MS = 10_000;
/** As long as SQS would hide a message a worker is holding. */
const VISIBILITY_SECONDS = 60;

export function startLocalEventPump(options: LocalEventPumpOptions): { stop: () => Promise<void> } {
  const clientConfig = {
    endpoint: options.dynamoEndpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  };
  const dynamoDb = new DynamoDBClient(clientConfig);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const queue = new TableQueue(new Table(DynamoDBDocumentClient.from(dynamoDb), options.tableName));
  const checkpoints = readCheckpoints(options.checkpointFile);
  const iterators = new Map<string, string | undefined>();
  let stopped = false;

  const invoke = async (fn: string, event: unknown): Promise<unknown> => {
    const response = await fetch(
      `${options.lambdaEndpoint}/2015-03-31/functions/${options.functionPrefix}${fn}/invocations`,
      { method: 'POST', body: JSON.stringify(event) },
    );
    const text = await response.text();
    if (
      !response.ok ||
      response.headers.has('x-amz-function-error') ||
      response.headers.has('x-amzn-errortype')
    ) {
      throw new Error(`${fn} failed (${response.status}): ${text.slice(0, 300)}`);
    }
    return text ? JSON.parse(text) : undefined;
  };

  const shardIterator = async (streamArn: string, shardId: string, after: string | undefined) =>
    (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      )
    ).ShardIterator;

  // The stream's shards, described again now and then (a shard closes and a new one opens from time
  // to time), not on every poll: each call is work for DynamoDB Local, which the whole machine shares.
  let shards: { streamArn: string; shardIds: string[]; describedAt: number } | undefined;
  const currentShards = async () => {
    if (shards && Date.now() - shards.describedAt < DESCRIBE_EVERY_MS) return shards;
    const table = await dynamoDb.send(new DescribeTableCommand({ TableName: options.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) return undefined;
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const shardIds = (StreamDescription?.Shards ?? []).map((shard) => shard.ShardId ?? '');
    shards = { streamArn, shardIds, describedAt: Date.now() };
    return shards;
  };

  const pumpStream = async (): Promise<boolean> => {
    const described = await currentShards();
    if (!described) return false;
    const { streamArn } = described;
    let handled = false;
    for (const shardId of described.shardIds) {
      const key = `${streamArn}|${shardId}`;
      let page;
      try {
        const iterator =
          iterators.get(key) ?? (await shardIterator(streamArn, shardId, checkpoints.get(key)));
        if (!iterator) continue;
        page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException || error instanceof TrimmedDataAccessException) {
          // Start the shard over: from the checkpoint, or (trimmed past it) from what is left.
          iterators.delete(key);
          if (error instanceof TrimmedDataAccessException) checkpoints.delete(key);
          continue;
        }
        throw error;
      }
      const records = page.Records ?? [];
      const secretRecords = records.filter(isSecretRecord).map(asLambdaRecord);
      // As the event source's filter on AWS: only auth-secret items reach the function.
      if (secretRecords.length > 0) await invoke('publishEvents', { Records: secretRecords });
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last) {
        checkpoints.set(key, last);
        writeCheckpoints(options.checkpointFile, checkpoints);
        handled = true;
      }
      iterators.set(key, page.NextShardIterator);
    }
    return handled;
  };

  const pumpQueue = async (): Promise<boolean> => {
    const messages = await queue.receive(10, VISIBILITY_SECONDS);
    if (messages.length === 0) return false;
    const records: Array<Pick<SQSRecord, 'messageId' | 'receiptHandle' | 'body'> & { attributes: object }> =
      messages.map((message) => ({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: { ApproximateReceiveCount: String(message.receiveCount) },
        eventSource: 'aws:sqs',
      }));
    const result = (await invoke('deliverWebhooks', { Records: records })) as SQSBatchResponse | undefined;
    const failed = new Set(result?.batchItemFailures.map((failure) => failure.itemIdentifier));
    // SQS deletes what the function did not report as failed.
    for (const message of messages)
      if (!failed.has(message.messageId)) await queue.remove(message.receiptHandle);
    return true;
  };

  const loop = async (name: string, step: () => Promise<boolean>) => {
    let failures = 0;
    while (!stopped) {
      let busy = false;
      try {
        busy = await step();
        failures = 0;
      } catch (error) {
        failures++;
        if (failures === 1 || failures % 20 === 0) {
          options.log(`local ${name}: ${error instanceof Error ? error.message : String(error)} (retrying)`);
        }
      }
      if (!busy) await sleep(failures > 0 ? Math.min(5000, POLL_MS * 2 ** failures) : POLL_MS);
    }
  };

  const running = Promise.all([loop('event stream', pumpStream), loop('webhook queue', pumpQueue)]);
  return {
    stop: async () => {
      stopped = true;
      await running;
      dynamoDb.destroy();
      streams.destroy();
    },
  };
}

function isSecretRecord(record: StreamRecord): boolean {
  const sortKey = record.dynamodb?.Keys?.sk;
  return typeof sortKey?.S === 'string' && sortKey.S.startsWith(SECRET_ITEM_PREFIX);
}

/** A stream record as Lambda's DynamoDB event source delivers it. */
export function asLambdaRecord(record: StreamRecord): DynamoDBRecord {
  const change = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      // The same AttributeValue JSON; the Lambda types spell it on their own.
      Keys: change?.Keys as never,
      NewImage: change?.NewImage as never,
      OldImage: change?.OldImage as never,
      SequenceNumber: change?.SequenceNumber,
      StreamViewType: change?.StreamViewType,
      ...(change?.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: change.ApproximateCreationDateTime.getTime() / 1000 }
        : {}),
    },
  };
}

function readCheckpoints(file: string): Map<string, string> {
  if (!existsSync(file)) return new Map();
  try {
    return new Map(Object.entries(JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>));
  } catch {
    return new Map();
  }
}

/** Written whole and renamed into place, so that a kill mid-write leaves the previous checkpoint. */
function writeCheckpoints(file: string, checkpoints: ReadonlyMap<string, string>): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(Object.fromEntries(checkpoints)));
  renameSync(`${file}.tmp`, file);
}

const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
