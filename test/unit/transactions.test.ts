/**
 * The transaction paths DynamoDB Local never shows: on AWS, transactions that touch one item at the
 * same moment (a workspace's list total) are cancelled with TransactionConflict. They must be
 * retried until they go through, and a failed condition must name the operation that failed.
 * Faked at the SDK boundary.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionFailedError } from '../../lib/store/ports';
import { mockClient } from 'aws-sdk-client-mock';
import { Table, TransactionConditionFailedError, type TransactionOp } from '../../lib/store/table';

const dynamo = mockClient(DynamoDBDocumentClient);
const table = new Table(DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), 'table');

const ops: TransactionOp[] = [
  { put: { Item: { pk: 'A', sk: 'A' }, ConditionExpression: 'attribute_not_exists(pk)' } },
  {
    update: {
      Key: { pk: 'T', sk: 'TOTAL' },
      UpdateExpression: 'ADD #c :one',
      ExpressionAttributeNames: { '#c': 'count' },
      ExpressionAttributeValues: { ':one': 1 },
    },
  },
];

function cancelled(...codes: string[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });
}

beforeEach(() => dynamo.reset());

test('a transaction cancelled by conflicts is retried until it goes through', async () => {
  dynamo
    .on(TransactWriteCommand)
    .rejectsOnce(cancelled('None', 'TransactionConflict'))
    .rejectsOnce(cancelled('TransactionConflict', 'None'))
    .resolves({});

  await table.transact(ops);

  const calls = dynamo.commandCalls(TransactWriteCommand);
  expect(calls).toHaveLength(3);
  // Every attempt sends the same operations, with the table's name filled in.
  for (const call of calls) {
    expect(call.args[0].input.TransactItems?.map((item) => Object.keys(item)[0])).toEqual(['Put', 'Update']);
    expect(call.args[0].input.TransactItems?.[0]?.Put?.TableName).toBe('table');
  }
});

test('a failed condition is not retried, and names the operations that failed', async () => {
  dynamo.on(TransactWriteCommand).rejects(cancelled('ConditionalCheckFailed', 'None'));

  const error = await table.transact(ops).catch((thrown: unknown) => thrown);

  expect(error).toBeInstanceOf(TransactionConditionFailedError);
  expect((error as TransactionConditionFailedError).failed).toEqual([0]);
  expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
});

test('conflicts that never end reach the caller after a bounded number of attempts', async () => {
  dynamo.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));

  await expect(table.transact(ops)).rejects.toBeInstanceOf(TransactionCanceledException);

  expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(10);
}, 20_000);

const conflict = () =>
  new TransactionConflictException({ message: 'Transaction is ongoing for the item', $metadata: {} });

test('a single conditional write that meets a transaction on its item is retried until it goes through', async () => {
  dynamo.on(PutCommand).rejectsOnce(conflict()).rejectsOnce(conflict()).resolves({});
  dynamo
    .on(UpdateCommand)
    .rejectsOnce(conflict())
    .resolves({ Attributes: { pk: 'A', sk: 'A', version: 2 } });

  await table.putIf({ pk: 'A', sk: 'A' }, 'attribute_not_exists(pk)');
  const updated = await table.updateIf(
    { pk: 'A', sk: 'A' },
    { increment: ['version'] },
    'attribute_exists(pk)',
    {},
  );

  expect(dynamo.commandCalls(PutCommand)).toHaveLength(3);
  expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(2);
  expect(updated).toEqual({ pk: 'A', sk: 'A', version: 2 });
});

test('a failed condition of a single write is the domain outcome, not retried', async () => {
  dynamo.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));

  await expect(table.putIf({ pk: 'A', sk: 'A' }, 'attribute_not_exists(pk)')).rejects.toBeInstanceOf(
    ConditionFailedError,
  );
  expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
});
