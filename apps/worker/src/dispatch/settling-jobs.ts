/**
 * Jobs of this worker past their slot: the prompt ended on its backend and its slot was freed for
 * the next job while the outputs are stored and the success recorded. They still take a place of
 * the worker's concurrency (BullMQ counts them active until they return), so the intake gate counts
 * them beside the slot leases this worker holds.
 */
export class SettlingJobs {
  private n = 0;
  private readonly ended = new Set<() => void>();

  get count(): number {
    return this.n;
  }

  /** A job's slot is about to be freed at its prompt's end (counted before the release announces it). */
  begin(): void {
    this.n += 1;
  }

  /** That job's attempt is over: it no longer takes a place. */
  end(): void {
    this.n -= 1;
    for (const listener of this.ended) listener();
  }

  /** Calls `listener` after every `end()`; returns the unsubscribe. */
  onEnd(listener: () => void): () => void {
    this.ended.add(listener);
    return () => this.ended.delete(listener);
  }
}
