import type { Worker } from 'bullmq';
import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import type { Logger } from '@gantry/logger';

/** Jobs a worker may hold while they look for a free slot. */
const PENDING_ALLOWANCE = 2;

/**
 * Lets this worker take a job from the queue only when it can serve it (BullMQ fetches while
 * active < concurrency): concurrency = jobs holding a slot lease + at most PENDING_ALLOWANCE jobs
 * looking for one, and none of those when no slot is free. Every worker sees the same free slots,
 * so a larger allowance would make each of them pull jobs for the same slot and hand most back;
 * the bound keeps the queue FIFO and jobs off workers that cannot run them. Re-evaluated on every
 * lease change of this process, on every slot another worker frees (the lease-freed channel, see
 * worker.ts), and every `intervalMs` as a fallback for leases that expire without a release.
 */
export class IntakeGate {
  private timer: ClockTimer | null = null;
  private running = false;
  private again = false;

  constructor(
    private readonly worker: Worker,
    /** Free slots on the backends this worker may dispatch to now (healthy, not draining). */
    private readonly freeSlots: () => Promise<number>,
    /** Jobs of this worker that hold a slot lease. */
    private readonly holding: () => number,
    private readonly maxConcurrency: number,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
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
      const free = await this.freeSlots();
      const target = Math.max(1, Math.min(this.maxConcurrency, this.holding() + Math.min(free, PENDING_ALLOWANCE)));
      const current = this.worker.concurrency;
      if (target !== current) this.worker.concurrency = target;
      if (target > current) wakeFetchLoop(this.worker);
    } catch (err) {
      this.logger.debug({ err }, 'intake gate could not read free slots');
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      await this.adjust();
    }
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
