import { systemClock, type Clock, type ClockTimer, type JobEventBody } from '@gantry/domain';
import type { TransitionResult } from '@gantry/db';
import type { JobChange, JobDoor, JobRef } from '@gantry/jobs';
import type { Logger } from '@gantry/logger';

/**
 * One attempt's events and state changes, strictly in order, through the job door. Progress is
 * coalesced: at most one progress event per interval is written, the first one interval after the
 * attempt began (the latest one wins, and a pending one is flushed before any other event), so a
 * sampler's thousand steps become a handful of rows. A success supersedes the progress still
 * pending (it records progress 1 itself): a job that ends within its first interval writes no
 * progress row at all. Nothing else is dropped.
 */
export class JobEventSink {
  private chain: Promise<void> = Promise.resolve();
  private pendingProgress: Extract<JobEventBody, { type: 'progress' }> | null = null;
  private lastProgressAt: number;
  private timer: ClockTimer | null = null;

  constructor(
    private readonly door: JobDoor,
    private readonly logger: Logger,
    private readonly job: JobRef,
    private readonly progressIntervalMs: number,
    private readonly clock: Clock = systemClock,
    /** A change committed before the sink existed (JobDoor.commitTaken): its announcement goes before anything the sink takes. */
    after?: Promise<void>,
  ) {
    this.lastProgressAt = clock.now();
    if (after) this.chain = after;
  }

  /** Appends a progress or output event after everything emitted before it. */
  emit(event: Exclude<JobEventBody, { type: 'state' }>): Promise<void> {
    if (event.type === 'progress') return this.progress(event);
    this.flushProgress();
    return this.enqueue(event);
  }

  /**
   * Applies a state change in order with the events around it. Resolves with its result (null:
   * the guard refused); rejects when the change could not be recorded.
   */
  change(change: JobChange): Promise<TransitionResult | null> {
    return this.apply(change, 'announced');
  }

  /**
   * Like `change`, but resolves as soon as the change is committed: its publish and count follow,
   * still before anything the sink takes after it. For a step that needs only the durable change
   * (the prompt's submit needs `dispatched` in PostgreSQL, not its message on Redis).
   */
  commit(change: JobChange): Promise<TransitionResult | null> {
    return this.apply(change, 'committed');
  }

  private apply(change: JobChange, until: 'committed' | 'announced'): Promise<TransitionResult | null> {
    if (change.to === 'succeeded') this.dropProgress();
    else this.flushProgress();
    const committed = this.chain.then(() => this.door.commit(this.job, change));
    const announced = committed.then(async ({ result, announced: done }) => {
      await done;
      return result;
    });
    this.chain = announced.then(
      () => undefined,
      () => undefined,
    );
    return until === 'committed' ? committed.then(({ result }) => result) : announced;
  }

  /** Waits until every emitted event is stored and published. */
  async drain(): Promise<void> {
    this.flushProgress();
    await this.chain;
  }

  private progress(event: Extract<JobEventBody, { type: 'progress' }>): Promise<void> {
    this.pendingProgress = event;
    const wait = this.lastProgressAt + this.progressIntervalMs - this.clock.now();
    if (wait <= 0) {
      this.flushProgress();
    } else if (!this.timer) {
      this.timer = this.clock.setTimeout(() => this.flushProgress(), wait);
    }
    return this.chain;
  }

  private flushProgress(): void {
    const event = this.dropProgress();
    if (!event) return;
    this.lastProgressAt = this.clock.now();
    void this.enqueue(event, event.overall);
  }

  /** Takes the pending progress event (if any) off, unwritten. */
  private dropProgress(): Extract<JobEventBody, { type: 'progress' }> | null {
    this.clock.clear(this.timer);
    this.timer = null;
    const event = this.pendingProgress;
    this.pendingProgress = null;
    return event;
  }

  private enqueue(event: Exclude<JobEventBody, { type: 'state' }>, progress?: number): Promise<void> {
    this.chain = this.chain.then(async () => {
      try {
        await this.door.record(this.job, event, progress);
      } catch (err) {
        // Progress is best effort: the next one, or the final state, says more.
        this.logger.warn({ err, jobId: this.job.id, type: event.type }, 'job event not recorded');
      }
    });
    return this.chain;
  }
}
