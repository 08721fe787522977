import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';

/**
 * Aborts a run when its backend stops making progress: any driver event resets the clock; silence
 * for longer than `timeoutMs` aborts `controller` (the driver then interrupts the prompt).
 */
export class StallWatchdog {
  readonly controller = new AbortController();
  private timer: ClockTimer;

  constructor(
    private readonly timeoutMs: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.timer = this.arm();
  }

  get stalled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Progress was seen. */
  touch(): void {
    this.clock.clear(this.timer);
    if (!this.stalled) this.timer = this.arm();
  }

  stop(): void {
    this.clock.clear(this.timer);
  }

  private arm(): ClockTimer {
    return this.clock.setTimeout(() => this.controller.abort(new Error('stalled')), this.timeoutMs).unref();
  }
}
