import { touchHeldJobs, type Db } from '@gantry/db';
import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import type { Logger } from '@gantry/logger';

/**
 * Keeps the PostgreSQL heartbeat of the jobs this worker holds fresh, one statement per beat for
 * all of them. A worker that dies stops beating; once a job's heartbeat is older than the stale
 * limit (GANTRY_JOB_STALE_MS, several beats), the reconciler and other workers treat it as lost.
 * A failed beat is only logged: the next one may pass, and a few missed ones are within the limit.
 */
export class JobHeartbeat {
  private timer: ClockTimer | null = null;
  private beating: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    /** The ids of the jobs this worker runs an attempt of right now. */
    private readonly held: () => readonly string[],
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    this.timer = this.clock.setInterval(() => void this.beat(), this.intervalMs);
    this.timer.unref();
  }

  /** One beat now (tests call it directly instead of waiting for the interval). */
  async beat(): Promise<number> {
    if (this.beating) await this.beating;
    let touched = 0;
    this.beating = (async () => {
      try {
        touched = await touchHeldJobs(this.db, this.workerId, this.held());
      } catch (err) {
        this.logger.warn({ err }, 'job heartbeat not recorded; retrying at the next beat');
      }
    })();
    await this.beating;
    this.beating = null;
    return touched;
  }

  async stop(): Promise<void> {
    this.clock.clear(this.timer);
    this.timer = null;
    await this.beating;
  }
}
