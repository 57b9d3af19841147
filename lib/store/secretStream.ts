import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { SecretWrite } from '../events/secretEvents';
import { secretSchema, type SecretRecord } from '../model';
import { keys } from './keys';

/** The sort-key prefix of auth-secret items: the stream's event source filter passes only these. */
export const SECRET_ITEM_PREFIX = keys.secret('', '').sk;

/**
 * The writes of auth-secrets among a batch of the table's stream records (DynamoDB Streams, as
 * Lambda hands them over and as the local pump reads them from DynamoDB Local). Other items, and
 * items whose ids do not give the key they are stored under, are no secret's writes.
 */
export function secretWritesOf(records: readonly DynamoDBRecord[]): SecretWrite[] {
  const writes: SecretWrite[] = [];
  for (const record of records) {
    const change = record.dynamodb;
    if (!change || !record.eventID || !record.eventName) continue;
    const before = secretOfImage(change.OldImage);
    const after = record.eventName === 'REMOVE' ? undefined : secretOfImage(change.NewImage);
    if (!before && !after) continue;
    writes.push({
      recordId: record.eventID,
      at: (change.ApproximateCreationDateTime ?? Date.now() / 1000) * 1000,
      before,
      after,
    });
  }
  return writes;
}

function secretOfImage(image: unknown): SecretRecord | undefined {
  const raw = image as Record<string, AttributeValue> | undefined;
  // Only secret items are read: other items are none of the publisher's business.
  const sortKey = raw?.sk?.S;
  if (!raw || sortKey === undefined || !sortKey.startsWith(SECRET_ITEM_PREFIX)) return undefined;
  const item = unmarshall(raw);
  const parsed = secretSchema.safeParse(item);
  if (!parsed.success) return undefined;
  const expected = keys.secret(parsed.data.workspaceId, parsed.data.id);
  return item.pk === expected.pk && item.sk === expected.sk ? parsed.data : undefined;
}
