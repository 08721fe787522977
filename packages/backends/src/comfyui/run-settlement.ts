import type { AppError } from '@gantry/domain';
import type { DriverEvent, RunResult } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { canceled } from './errors.js';

/**
 * The settle-once end of a run: its promise, its timers, and the caller's abort signal. Once the
 * caller aborted, every ending becomes CANCELED (they asked not to get a result).
 */
export class RunSettlement {
  readonly promise: Promise<RunResult>;
  settled = false;
  aborted = false;
  private resolve!: (result: RunResult) => void;
  private reject!: (error: AppError) => void;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly signal: AbortSignal,
    private readonly promptId: () => string,
    private readonly onSettled: () => void,
    private readonly onAbort: () => void,
  ) {
    this.promise = new Promise<RunResult>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Aborted already (a follow() asked to stop at once): the owner sees `aborted` and stops the prompt.
    if (signal.aborted) this.aborted = true;
    else signal.addEventListener('abort', this.abortListener, { once: true });
  }

  private readonly abortListener = (): void => {
    if (this.settled || this.aborted) return;
    this.aborted = true;
    this.onAbort();
  };

  /** Hands an event to the caller; a throwing callback is logged, never allowed to break the run. */
  emit(onEvent: (event: DriverEvent) => void, event: DriverEvent, logger: StructuredLogger): void {
    if (this.settled) return;
    try {
      onEvent(event);
    } catch (err) {
      logger.warn({ promptId: this.promptId(), event: event.type, err: String(err) }, 'comfyui: onEvent threw');
    }
  }

  succeed(result: RunResult): void {
    if (this.aborted) return this.fail(canceled(this.promptId()));
    if (this.finish()) this.resolve(result);
  }

  fail(error: AppError): void {
    if (this.finish()) this.reject(this.aborted ? canceled(this.promptId()) : error);
  }

  /** Runs `fn` after `ms` unless the run has settled by then. */
  after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.settled) fn();
    }, ms);
    this.timers.add(timer);
  }

  delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private finish(): boolean {
    if (this.settled) return false;
    this.settled = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.signal.removeEventListener('abort', this.abortListener);
    this.onSettled();
    return true;
  }
}
