import type { Worker } from 'bullmq';
import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import type { Logger } from '@gantry/logger';

/** Jobs a worker may hold while they look for a free slot. */
const PENDING_ALLOWANCE = 2;
/**
 * How long a read's free count may be moved by this process's lease changes instead of read again.
 * What it cannot see (a backend recovering, a lease expiring, a registry change) is then caught at
 * the next lease change after this, not only by the poll.
 */
const KEPT_COUNT_MS = 250;
/**
 * A kept count with at least this many slots free after this process's own take may raise
 * concurrency once without a read (per read, at most KEPT_COUNT_MS old): on a fleet that far from
 * full the job let in finds a slot unless the other workers took that many since; when they did,
 * this worker holds one job more than a read would have let in, which waits for a slot or is handed
 * back, as a job let in on any read can be.
 */
const AMPLE_FREE = 2 * PENDING_ALLOWANCE;

/**
 * Lets this worker take a job from the queue only when it can serve it (BullMQ fetches while
 * active < concurrency): concurrency = jobs holding a slot lease (or settling after their prompt's
 * end freed it) + at most PENDING_ALLOWANCE jobs looking for one, and none of those when no slot is
 * free, or about to be: one of this worker's own near its expected end (SlotsEnding) counts as
 * free, the job let in for it taking it at the prompt's end. Every worker sees the same free slots,
 * so a larger allowance would make each of them pull jobs for the same slot and hand most back;
 * the bound keeps the queue FIFO and jobs off workers that cannot run them. Re-evaluated by reading
 * the fleet on every slot another worker frees (the lease-freed channel, see fleet-intake.ts), every
 * `intervalMs` as a fallback for leases that expire without a release, and on a lease change of
 * this process that could raise it (`ownLease`); one that can only keep or lower it, while the last
 * read is at most 250 ms old, moves that read's free count by the slot it took or freed and reads
 * nothing (a Redis round trip less per
 * lease change; what that count cannot see, other workers' takes, a health change or a lease
 * expiring, is caught by the next read, as a read on this process's own changes only did sooner).
 * A take of this process that leaves the kept count with AMPLE_FREE slots free raises it without a
 * read once per read (the fleet is far from full: a round trip less per two jobs at a light load).
 */
export class IntakeGate {
  private timer: ClockTimer | null = null;
  private running = false;
  private again = false;
  /** Free slots as the last read found them, moved by this process's lease changes since; null: read. */
  private free: number | null = null;
  /** When that read was taken (the clock's ms). */
  private readAt = -Infinity;
  /** Whether the kept count may still make its one raise without a read (see AMPLE_FREE). */
  private keptRaise = false;

  constructor(
    private readonly worker: Worker,
    /** Free slots on the backends this worker may dispatch to now (healthy, not draining). */
    private readonly freeSlots: () => Promise<number>,
    /** Jobs of this worker that hold a slot lease, or settle after their prompt's end freed it. */
    private readonly holding: () => number,
    private readonly maxConcurrency: number,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
    /** Slots of this worker expected to free soon (SlotsEnding): each is room for one job, as a free one. */
    private readonly endingSoon: () => number = () => 0,
  ) {}

  start(intervalMs = 1000): void {
    this.timer = this.clock.setInterval(() => void this.adjust(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.clock.clear(this.timer);
    this.timer = null;
  }

  /** Sets concurrency from held leases and free slots (at least 1, so the worker keeps polling). */
  async adjust(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      const at = this.clock.now();
      const free = await this.freeSlots();
      this.free = free;
      this.readAt = at;
      this.keptRaise = true;
      const target = this.target(free);
      const current = this.worker.concurrency;
      if (target !== current) this.worker.concurrency = target;
      if (target > current) wakeFetchLoop(this.worker);
    } catch (err) {
      this.free = null;
      this.logger.debug({ err }, 'intake gate could not read free slots');
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      await this.adjust();
    }
  }

  /**
   * This process took (+1) or freed (-1) a slot lease (call after `holding()` counts it). When the
   * last read's free count, moved by that slot, keeps or lowers concurrency, it is set from it
   * without a read: this worker's own slot is the only change it knows of, so it raises
   * concurrency on a count no read confirmed only once per read, after its own take with
   * AMPLE_FREE slots still free (other workers' takes are announced to nobody; their frees, the
   * poll and any other raise read again). When it would raise concurrency otherwise, or no read is
   * known, or one is in flight (its count may or may not include this slot), or the last read is
   * older than KEPT_COUNT_MS (a slot may have opened that no one announces: a lease expired, a
   * backend recovered), it reads.
   */
  ownLease(delta: 1 | -1): void {
    if (this.free === null || this.running || this.clock.now() - this.readAt > KEPT_COUNT_MS) {
      void this.adjust();
      return;
    }
    this.free = Math.max(0, this.free - delta);
    this.followKept(this.free, delta === 1 && this.free >= AMPLE_FREE && this.keptRaise);
  }

  /**
   * The jobs this worker holds changed without a slot of this process changing: one past its slot
   * settled (concurrency drops by it from the kept free count, no read needed), or a slot went from
   * a job at its prompt's end straight to a waiting job on the same backend (one more job holds a
   * place: a raise, which only a read may make). With no kept count, or one being read, it reads.
   */
  heldChanged(): void {
    if (this.free === null || this.running) {
      void this.adjust();
      return;
    }
    this.followKept(this.free);
  }

  /**
   * Lowers concurrency to the kept count's target without a read; a raise only a read may make,
   * unless `ample` (this process took a slot and the count still shows AMPLE_FREE free: the raise
   * refills the allowance the take used, on a fleet far from full; once per read).
   */
  private followKept(free: number, ample = false): void {
    const target = this.target(free);
    const current = this.worker.concurrency;
    if (target > current && !ample) void this.adjust();
    else if (target !== current) {
      this.worker.concurrency = target;
      if (target > current) {
        this.keptRaise = false;
        wakeFetchLoop(this.worker);
      }
    }
  }

  /**
   * Concurrency for `free` slots: held leases + at most PENDING_ALLOWANCE looking, for a free slot
   * or one of this worker's expected to free soon (at least 1, so the worker keeps polling).
   */
  private target(free: number): number {
    return Math.max(1, Math.min(this.maxConcurrency, this.holding() + Math.min(free + this.endingSoon(), PENDING_ALLOWANCE)));
  }
}

/**
 * BullMQ's main loop compares its jobs with `concurrency` only when one of them settles: with every
 * allowed job running (held for the whole render), a raised concurrency would wait for a render to
 * end before the next job is fetched, capping intake at the completion rate. Adding a settled
 * promise to the loop's queue wakes it to fetch up to the new concurrency at once; BullMQ's own
 * `resume()` wakes the loop the same way (bullmq 6, `Worker.mainLoopQueue`).
 */
function wakeFetchLoop(worker: Worker): void {
  (worker as unknown as { mainLoopQueue?: { add(p: Promise<unknown>): void } | null }).mainLoopQueue?.add(Promise.resolve());
}
