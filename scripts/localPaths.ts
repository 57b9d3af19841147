import { resolve } from 'node:path';

/** Where local mode keeps its state: .data/ in the checkout unless DATA_DIR says otherwise. */
export const DATA_DIR = resolve(process.env.DATA_DIR ?? '.data');
export const DYNAMO_DATA_PATH = resolve(DATA_DIR, 'dynamodb');
export const LOCAL_KEY_FILE = resolve(DATA_DIR, 'local-kms.key');

export function dynamoPort(): number {
  return Number(process.env.DYNAMODB_PORT ?? 8000);
}

/**
 * `DYNAMODB_ENDPOINT`: a DynamoDB Local someone else runs (the tests' shared engine), which
 * `npm start` then uses instead of starting its own.
 */
export function givenDynamoEndpoint(): string | undefined {
  return process.env.DYNAMODB_ENDPOINT || undefined;
}

/** Where `npm start` (and so the admin CLI) finds the local engine. */
export function localDynamoEndpoint(): string {
  return givenDynamoEndpoint() ?? `http://127.0.0.1:${dynamoPort()}`;
}
