/**
 * Aborts a run when its backend stops making progress: any driver event resets the clock; silence
 * for longer than `timeoutMs` aborts `controller` (the driver then interrupts the prompt).
 */
export class StallWatchdog {
  readonly controller = new AbortController();
  private timer: NodeJS.Timeout;

  constructor(private readonly timeoutMs: number) {
    this.timer = this.arm();
  }

  get stalled(): boolean {
    return this.controller.signal.aborted;
  }

  /** Progress was seen. */
  touch(): void {
    clearTimeout(this.timer);
    if (!this.stalled) this.timer = this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private arm(): NodeJS.Timeout {
    const timer = setTimeout(() => this.controller.abort(new Error('stalled')), this.timeoutMs);
    timer.unref();
    return timer;
  }
}
