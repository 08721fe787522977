/**
 * Where a job stands in the queue, as this worker took it: BullMQ's priority (lower first: the
 * priority band, then the job's rank within its tenant, see toBullPriority of @gantry/queue), then
 * the order in which this worker took its jobs (BullMQ hands out equals first in, first out).
 */
export interface QueuePlace {
  priority: number;
  taken: number;
}

interface Turn {
  place: QueuePlace;
  go(): void;
}

/**
 * Slot attempts of one worker's jobs, one at a time and in queue order. Jobs waiting for a slot
 * all wake when one is freed; without turns, which of them leases it is a race, and a job taken
 * later overtakes one taken earlier. Here, the attempts that are due together (woken by the same
 * freed slot, or arriving while another attempt runs) run lowest place first, each after the
 * previous one settled, so a freed slot goes to the earliest job that can use it (a job that
 * cannot use it, e.g. another backend kind, lets the next one try). Attempts of different workers
 * still race in Redis; each worker holds at most a couple of waiting jobs (the intake gate).
 */
export class SlotTurns {
  private readonly due: Turn[] = [];
  private running = false;
  private scheduled = false;
  private taken = 0;

  /** The place of a job this worker just took from the queue. */
  placeOf(priority: number | undefined): QueuePlace {
    this.taken += 1;
    return { priority: priority && priority > 0 ? priority : 0, taken: this.taken };
  }

  /** Runs `attempt` when every attempt due before it with a lower place has run. */
  async run<T>(place: QueuePlace, attempt: () => Promise<T>): Promise<T> {
    await new Promise<void>((go) => {
      const at = this.due.findIndex((t) => before(place, t.place));
      this.due.splice(at === -1 ? this.due.length : at, 0, { place, go });
      this.schedule();
    });
    try {
      return await attempt();
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /**
   * Starts the next due attempt once the current one settled. The first waits for the event
   * loop's check phase, so attempts woken together (their continuations run as microtasks of the
   * same wake-up) are all due before the lowest place is chosen.
   */
  private schedule(): void {
    if (this.running || this.scheduled || this.due.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.running) return;
      const next = this.due.shift();
      if (!next) return;
      this.running = true;
      next.go();
    });
  }
}

/** Whether place `a` comes before `b` in the queue. */
export function before(a: QueuePlace, b: QueuePlace): boolean {
  return a.priority !== b.priority ? a.priority < b.priority : a.taken < b.taken;
}
