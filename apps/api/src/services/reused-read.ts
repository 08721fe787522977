/**
 * A read reused for `maxAgeMs` from when it began (so a reused value is never older than that at
 * the moment it was asked for), concurrent callers sharing the read in flight. A rejected read is
 * not kept (the next caller reads again), nor a value `keep` turns down; a clock that went back
 * (an age below 0) counts as stale.
 */
export class ReusedRead<T> {
  private kept: { at: number; value: T } | null = null;
  private inFlight: Promise<T> | null = null;

  constructor(
    private readonly read: (now: number) => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
    private readonly keep: (value: T) => boolean = () => true,
  ) {}

  get(): Promise<T> {
    const now = this.now();
    if (this.kept) {
      const age = now - this.kept.at;
      if (age >= 0 && age < this.maxAgeMs) return Promise.resolve(this.kept.value);
    }
    this.inFlight ??= this.read(now)
      .then((value) => {
        this.kept = this.keep(value) ? { at: now, value } : null;
        return value;
      })
      .finally(() => {
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
