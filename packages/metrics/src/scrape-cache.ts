/**
 * Caches the result of an expensive read (Redis, PostgreSQL, the disk) for a short time, so that
 * several Prometheus servers scraping every few seconds cost one read per period. Concurrent
 * callers share one read in flight; a failed read is not cached (the next scrape tries again).
 */
export class ScrapeCache<T> {
  private value: { at: number; data: T } | null = null;
  private inFlight: Promise<T> | null = null;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<T> {
    if (this.value && this.now() - this.value.at < this.ttlMs) return Promise.resolve(this.value.data);
    this.inFlight ??= this.read()
      .then((data) => {
        this.value = { at: this.now(), data };
        return data;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
