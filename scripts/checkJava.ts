/**
 * `npm test`'s first step: without a Java 17+ runtime for DynamoDB Local, stop at once with what to
 * install, instead of after the type check and lint.
 */
import { JavaRuntimeError, requireJava } from './dynamoEngine';

try {
  requireJava();
} catch (error) {
  if (!(error instanceof JavaRuntimeError)) throw error;
  console.error(error.message);
  process.exit(1);
}
