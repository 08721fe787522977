/**
 * Jobs of this worker past their slot: the prompt ended on its backend and its GPU slot was freed
 * for the next job (its lease finishing, SlotLeases.finish) while the outputs are collected and the
 * success recorded. They still take a place of the worker's concurrency (BullMQ counts them active
 * until they return), so the intake gate counts them beside the slot leases this worker holds; and
 * they still use their backend's driver, so a retired backend's is not closed under them.
 */
export class SettlingJobs {
  private n = 0;
  private readonly perBackend = new Map<string, number>();
  private readonly ended = new Set<() => void>();

  get count(): number {
    return this.n;
  }

  /** Jobs of this worker settling on `backendId`. */
  on(backendId: string): number {
    return this.perBackend.get(backendId) ?? 0;
  }

  /** A job's slot on `backendId` is about to be freed at its prompt's end (counted before the release announces it). */
  begin(backendId: string): void {
    this.n += 1;
    this.perBackend.set(backendId, this.on(backendId) + 1);
  }

  /** That job's attempt is over: it no longer takes a place. */
  end(backendId: string): void {
    this.n -= 1;
    const left = this.on(backendId) - 1;
    if (left > 0) this.perBackend.set(backendId, left);
    else this.perBackend.delete(backendId);
    for (const listener of this.ended) listener();
  }

  /** Calls `listener` after every `end()`; returns the unsubscribe. */
  onEnd(listener: () => void): () => void {
    this.ended.add(listener);
    return () => this.ended.delete(listener);
  }
}
