/**
 * One-line JSON logs for CloudWatch. Only fields chosen by the caller are written: never a
 * request body, a header or a credential.
 */
export function logInfo(message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level: 'INFO', message, ...fields }));
}

export function logError(message: string, error: unknown, fields: Record<string, unknown> = {}): void {
  const detail =
    error instanceof Error
      ? { errorName: error.name, errorMessage: error.message }
      : { errorName: typeof error };
  console.error(JSON.stringify({ level: 'ERROR', message, ...detail, ...fields }));
}
