import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';

/** One slot of this worker: whether its prompt is within the lead time of its expected end now. */
interface Slot {
  timer: ClockTimer | null;
  soon: boolean;
  /** Called (once each) when it starts counting (whenSoon). */
  onSoon: Array<() => void>;
  /** When its prompt is expected to end (the clock's ms). */
  endsAt: number;
}

/**
 * This worker's GPU slots whose prompt is expected to end soon: within `leadMs` of its expected
 * end either way, by its backend's pace (the slot time of a job there, BackendPace), counted from
 * its prompt's start (a prompt sent ahead by queue-ahead waits on the backend before it). The
 * intake gate lets one job in per such slot (up to its allowance) while the fleet is full, so that
 * job is on hand, its row read, when the prompt ends, and takes
 * the slot in the prompt end's own script (WorkerFleet.finish hands a freed slot to this worker's
 * earliest waiting job): the GPU's next prompt goes out without the announcement, the intake
 * gate's read, the queue's fetch and the job's read in between. A slot whose backend's pace is not
 * known yet is never counted. One that runs past `leadMs` after its expected end (a longer job than
 * the backend's usual) stops counting: no job more is let in for it, so a long prompt holds at
 * most the one let in already, which waits for it or, after GANTRY_SLOT_WAIT_MS, is handed back as
 * any job finding no slot.
 */
export class SlotsEnding {
  private readonly slots = new Map<string, Slot>();
  private soonCount = 0;
  private readonly listeners = new Set<() => void>();

  constructor(
    /** The expected slot time of a job on the backend (ms), or null while unknown. */
    private readonly expectedMs: (backendId: string) => number | null,
    /** How long before a slot's expected end it counts (0: never). */
    private readonly leadMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Slots whose prompt is within the lead time of its expected end now. */
  get soon(): number {
    return this.soonCount;
  }

  /** The prompt of a slot on `backendId` (its lease's id names it) started now. */
  begin(leaseId: string, backendId: string): void {
    if (this.leadMs <= 0 || this.slots.has(leaseId)) return;
    const expected = this.expectedMs(backendId);
    if (expected === null) return;
    const slot: Slot = { timer: null, soon: false, onSoon: [], endsAt: this.clock.now() + expected };
    this.slots.set(leaseId, slot);
    const enterIn = expected - this.leadMs;
    const leaveIn = expected + this.leadMs;
    // The leave timer is set before the slot counts: a callback of its mark may end it (queue-ahead
    // frees the slot there), which must clear that timer too.
    if (enterIn > 0) {
      slot.timer = this.at(enterIn, () => {
        slot.timer = this.at(leaveIn - enterIn, () => this.mark(slot, false));
        this.mark(slot, true);
      });
    } else {
      slot.timer = this.at(leaveIn, () => this.mark(slot, false));
      this.mark(slot, true);
    }
  }

  /**
   * Calls `fn` once when that slot starts counting (at once when it counts already); never for a
   * slot not counted (lead 0, its backend's pace unknown, ended, or past its expected end by more
   * than the lead).
   */
  whenSoon(leaseId: string, fn: () => void): void {
    const slot = this.slots.get(leaseId);
    if (!slot) return;
    if (slot.soon) fn();
    else if (slot.timer) slot.onSoon.push(fn);
  }

  /** In how many ms that slot's prompt is expected to end (0 when overdue, or not counted: see whenSoon). */
  remainingMs(leaseId: string): number {
    const slot = this.slots.get(leaseId);
    return slot ? Math.max(0, slot.endsAt - this.clock.now()) : 0;
  }

  /** That slot's prompt ended, or its attempt did: it no longer counts. */
  end(leaseId: string): void {
    const slot = this.slots.get(leaseId);
    if (!slot) return;
    this.slots.delete(leaseId);
    this.clock.clear(slot.timer);
    if (slot.soon) this.soonCount -= 1;
  }

  /** Calls `listener` whenever a slot starts or stops counting by the clock (not at `end`); returns the unsubscribe. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private at(ms: number, fn: () => void): ClockTimer {
    return this.clock.setTimeout(fn, ms).unref();
  }

  private mark(slot: Slot, soon: boolean): void {
    if (!soon) slot.timer = null;
    slot.soon = soon;
    this.soonCount += soon ? 1 : -1;
    for (const listener of this.listeners) listener();
    for (const fn of slot.onSoon.splice(0)) if (soon) fn();
  }
}
