/** How much of a long list one turn of the event loop may work through. */
export interface SliceLimits {
  /** Items per slice at most. */
  sliceSize: number;
  /** Milliseconds a slice may hold the event loop (by `now`; read every 16 items). */
  sliceBudgetMs: number;
  /** Milliseconds (performance.now; a test injects its own). */
  now: () => number;
}

/**
 * Runs `fn` on `items[from]`, `items[from + 1]`... until `sliceSize` items or `sliceBudgetMs`
 * are spent, and returns the index after the last item it ran: the caller continues from there
 * in a later turn (setImmediate), so HTTP requests and other sockets are served in between.
 * The clock is read every 16 items: cheap, and an item (a socket write) is a few µs.
 */
export function runSlice<T>(items: readonly T[], from: number, fn: (item: T) => void, limits: SliceLimits): number {
  const { sliceSize, sliceBudgetMs, now } = limits;
  const started = now();
  const end = Math.min(items.length, from + sliceSize);
  let next = from;
  while (next < end) {
    fn(items[next++]!);
    if (((next - from) & 15) === 0 && now() - started >= sliceBudgetMs) break;
  }
  return next;
}
