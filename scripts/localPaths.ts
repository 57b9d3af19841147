import { resolve } from 'node:path';

/** Where local mode keeps its state: .data/ in the checkout unless DATA_DIR says otherwise. */
export const DATA_DIR = resolve(process.env.DATA_DIR ?? '.data');
export const DYNAMO_DATA_PATH = resolve(DATA_DIR, 'dynamodb');
export const LOCAL_KEY_FILE = resolve(DATA_DIR, 'local-kms.key');

export function dynamoPort(): number {
  return Number(process.env.DYNAMODB_PORT ?? 8000);
}
