// Waiting for a condition in tests: poll with a bounded deadline, and say what was awaited when
// it times out (never a fixed sleep).

export interface WaitOptions {
  intervalMs?: number;
  /** Treat a condition that throws (a member still starting, say) as not yet true. */
  retryOnError?: boolean;
}

export async function waitUntil(
  what: string,
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  options: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const check = options.retryOnError
    ? (): Promise<boolean> =>
        Promise.resolve()
          .then(cond)
          .catch(() => false)
    : cond;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 10));
  }
}
