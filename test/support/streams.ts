import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { LOCAL_CREDENTIALS } from '../../scripts/dynamoEngine';
import { asLambdaRecord } from '../../scripts/localEvents';

/**
 * Every record of a test table's stream so far (DynamoDB Local keeps one, as AWS does), shaped as
 * Lambda's DynamoDB event source hands them to a function.
 */
export async function streamRecords(stack: {
  readonly endpoint: string;
  readonly tableName: string;
}): Promise<DynamoDBRecord[]> {
  const config = { endpoint: stack.endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS };
  const streams = new DynamoDBStreamsClient(config);
  const dynamoDb = new DynamoDBClient(config);
  try {
    const table = await dynamoDb.send(new DescribeTableCommand({ TableName: stack.tableName }));
    const streamArn = table.Table?.LatestStreamArn;
    if (!streamArn) throw new Error(`${stack.tableName} has no stream`);
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    const records: DynamoDBRecord[] = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      let iterator = (
        await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shard.ShardId ?? '',
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator) {
        const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        records.push(...(page.Records ?? []).map(asLambdaRecord));
        // An open shard always has a next iterator: stop at the first empty page.
        iterator = (page.Records ?? []).length > 0 ? page.NextShardIterator : undefined;
      }
    }
    return records;
  } finally {
    streams.destroy();
    dynamoDb.destroy();
  }
}
