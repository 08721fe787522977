import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';
import { InterruptedError, ShutdownError } from './errors.js';

/**
 * ComfyUI's global `interrupt_processing` flag: `/interrupt` sets it, the running prompt checks it
 * at each node start and each progress tick, and checking clears it. Each prompt starts by
 * resetting it, so an interrupt sent while idle is discarded.
 */
export class InterruptFlag {
  private requested = false;
  private waiters: Array<() => void> = [];

  request(): void {
    this.requested = true;
    for (const wake of this.waiters.splice(0)) wake();
  }

  reset(): void {
    this.requested = false;
  }

  /** `throw_exception_if_processing_interrupted()`. */
  throwIfRequested(): void {
    if (!this.requested) return;
    this.requested = false;
    throw new InterruptedError();
  }

  /** Blocks until an interrupt arrives (a hung node), then throws it; rejects with ShutdownError on `shutdown`. */
  async waitForInterrupt(shutdown: AbortSignal): Promise<never> {
    if (!this.requested) {
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => reject(new ShutdownError());
        if (shutdown.aborted) return onAbort();
        shutdown.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          shutdown.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
    this.throwIfRequested();
    throw new InterruptedError(); // unreachable: the flag was set
  }
}

/**
 * Sleeps `ms`, or rejects with ShutdownError as soon as `shutdown` aborts. `ms` ≤ 0 still yields to
 * the event loop once (setImmediate): a sampler behind its deadlines goes on at once, but its
 * sockets, an interrupt or an unsubscribe are served between its steps, never starved.
 */
export async function sleep(ms: number, shutdown: AbortSignal): Promise<void> {
  try {
    await (ms <= 0 ? immediate(undefined, { signal: shutdown }) : delay(ms, undefined, { signal: shutdown }));
  } catch {
    throw new ShutdownError();
  }
}
