/**
 * Reads `read` every `intervalMs` until `done` holds for what it returned, or `timeoutMs` has
 * passed, and returns the last value read either way: the caller asserts on it, so a timeout fails
 * with what was there. For states another process (or a promise not awaited yet) reaches in its
 * own time.
 */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
  }
}
