/** Bounded waiting: every wait of the chaos suite polls a condition with a deadline, never sleeps and hopes. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Calls `check` every `everyMs` until it returns a value (not undefined); throws
 * "timed out waiting for <what>" after `timeoutMs`. Errors thrown by `check` propagate.
 */
export async function pollUntil<T>(what: string, timeoutMs: number, everyMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}
