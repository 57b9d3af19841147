/**
 * Resolves once `condition` holds, checking every `intervalMs`; throws after `timeoutMs`. For
 * states another process (or a promise not awaited yet) reaches in its own time.
 */
export async function until(
  condition: () => Promise<boolean>,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs));
  }
}
