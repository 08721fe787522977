import { runSlice, type SliceLimits } from './slice.js';

/** One recipient's share of a round: its entries, in the order they were queued. */
export interface Delivery<L, E> {
  listener: L;
  entries: readonly E[];
}

export interface FanoutQueueOptions<L, E> extends SliceLimits {
  /** Who gets what of one round's entries (called once per round, at its start). */
  plan: (batch: readonly E[]) => Delivery<L, E>[];
  /** Hands one recipient its entries (writes them to its socket). */
  deliver: (listener: L, entries: readonly E[]) => void;
  /** Size of an entry in bytes (a round's batch is bounded by it too). */
  bytes: (entry: E) => number;
  /** Told how long each slice held the event loop (ms, by `now`). */
  onSlice?: (ms: number) => void;
  /** Entries per round at most, and their bytes at most (what one socket may get at once). */
  maxBatch: number;
  maxBatchBytes: number;
  /** Queued entries above which `onPressure(true)` asks the source to pause; `false` below half. */
  maxPending: number;
  onPressure: (paused: boolean) => void;
}

/**
 * Fan-out in rounds that never hold the event loop for long. Entries are queued as they arrive
 * (nothing is delivered while the Redis client hands over a burst); a round takes what is queued
 * (bounded), plans it once for every recipient, and delivers each recipient all of its entries
 * at once, so a burst costs one socket write per recipient instead of one per entry. A round is
 * cut in slices (128 recipients or 5 ms by default), with `setImmediate` between them, so HTTP requests
 * and other sockets are served while thousands of sockets are written. Rounds run one after the
 * other: a recipient gets its entries in queue order. When more is queued than the process
 * delivers, the source is paused (pending work is bounded) and resumed once half is done.
 */
export class FanoutQueue<L, E> {
  private pending: E[] = [];
  private round: Delivery<L, E>[] = [];
  private next = 0;
  private scheduled = false;
  private paused = false;
  private stopped = false;

  constructor(private readonly options: FanoutQueueOptions<L, E>) {}

  /** Entries waiting for a round (not the one being delivered). */
  get queued(): number {
    return this.pending.length;
  }

  push(entry: E): void {
    if (this.stopped) return;
    this.pending.push(entry);
    if (!this.paused && this.pending.length > this.options.maxPending) this.setPaused(true);
    this.schedule();
  }

  /** Drops what is queued and stops scheduling (the hub is stopping). */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    this.round = [];
    this.next = 0;
    if (this.paused) this.setPaused(false);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    // Not synchronous: a burst the Redis client parses in one go becomes one round.
    setImmediate(() => {
      this.scheduled = false;
      this.slice();
    });
  }

  private readonly deliverOne = (d: Delivery<L, E>) => this.options.deliver(d.listener, d.entries);

  private slice(): void {
    if (this.stopped) return;
    if (this.next >= this.round.length) this.startRound();
    const { now } = this.options;
    const started = now();
    this.next = runSlice(this.round, this.next, this.deliverOne, this.options);
    this.options.onSlice?.(now() - started);
    if (this.next >= this.round.length) {
      this.round = [];
      this.next = 0;
    }
    if (this.next < this.round.length || this.pending.length > 0) this.schedule();
  }

  private startRound(): void {
    const { maxBatch, maxBatchBytes, bytes, plan } = this.options;
    let count = 0;
    let size = 0;
    while (count < this.pending.length && count < maxBatch) {
      size += bytes(this.pending[count]!);
      if (count > 0 && size > maxBatchBytes) break;
      count += 1;
    }
    const batch = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    if (this.paused && this.pending.length <= this.options.maxPending / 2) this.setPaused(false);
    this.round = batch.length ? plan(batch) : [];
    this.next = 0;
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.options.onPressure(paused);
  }
}
