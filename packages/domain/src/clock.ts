/**
 * Where time comes from, wherever time decides behaviour (breaker cooldowns, probe rounds, lease
 * renewals...). Code takes a `Clock` (default {@link systemClock}) instead of reading `Date.now()`
 * and the global timers, so tests move time with a {@link ManualClock} instead of sleeping and
 * hoping the machine kept up. Logging timestamps keep reading the real time.
 */
export interface Clock {
  /** Milliseconds since the epoch, like `Date.now()`. */
  now(): number;
  /** Calls `fn` once after `ms`. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Calls `fn` every `ms` until cleared. */
  setInterval(fn: () => void, ms: number): ClockTimer;
  /** Cancels a timeout or interval of this clock; null and undefined are ignored. */
  clear(timer: ClockTimer | null | undefined): void;
}

/** A pending timer. */
export interface ClockTimer {
  /** Lets the process exit while the timer is pending (system clock in Node; no-op elsewhere). */
  unref(): ClockTimer;
}

class SystemTimer implements ClockTimer {
  constructor(readonly handle: ReturnType<typeof setTimeout>) {}
  unref(): ClockTimer {
    // Browsers (the SDK, the dashboard) have number handles without unref.
    (this.handle as { unref?: () => unknown }).unref?.();
    return this;
  }
}

/** The real time and the global timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => new SystemTimer(setTimeout(fn, ms)),
  setInterval: (fn, ms) => new SystemTimer(setInterval(fn, ms)),
  clear: (timer) => {
    // clearTimeout and clearInterval are interchangeable (HTML and Node both say so).
    if (timer instanceof SystemTimer) clearTimeout(timer.handle);
  },
};

interface ManualTimer extends ClockTimer {
  dueAt: number;
  seq: number;
  fn: () => void;
  /** Set for intervals. */
  everyMs: number | null;
}

/**
 * A clock for tests: time stands still until {@link advance} moves it, firing every timer that
 * falls due on the way, in due order (ties in creation order), each with `now()` at its due
 * time. Timers set by a callback fire in the same advance when they fall due within it.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly timers = new Set<ManualTimer>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    return this.add(fn, ms, null);
  }

  setInterval(fn: () => void, ms: number): ClockTimer {
    return this.add(fn, ms, Math.max(1, ms));
  }

  clear(timer: ClockTimer | null | undefined): void {
    if (timer) this.timers.delete(timer as ManualTimer);
  }

  /** Timers waiting to fire (a test can wait until a component has scheduled its next step). */
  get pending(): number {
    return this.timers.size;
  }

  /** Moves time forward by `ms` (0 fires what is due now), firing due timers in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ${ms} is not a duration`);
    const target = this.current + ms;
    // Bounded: an interval of 1 ms over a long advance fires often, but not for ever.
    for (let fired = 0; fired < 1_000_000; fired++) {
      const next = this.nextDue();
      if (!next || next.dueAt > target) break;
      this.current = Math.max(this.current, next.dueAt);
      if (next.everyMs === null) this.timers.delete(next);
      else {
        next.dueAt += next.everyMs;
        next.seq = this.seq++;
      }
      next.fn();
    }
    this.current = target;
  }

  private add(fn: () => void, ms: number, everyMs: number | null): ClockTimer {
    const timer: ManualTimer = {
      dueAt: this.current + Math.max(0, ms || 0),
      seq: this.seq++,
      fn,
      everyMs,
      unref: () => timer,
    };
    this.timers.add(timer);
    return timer;
  }

  private nextDue(): ManualTimer | undefined {
    let best: ManualTimer | undefined;
    for (const t of this.timers) if (!best || t.dueAt < best.dueAt || (t.dueAt === best.dueAt && t.seq < best.seq)) best = t;
    return best;
  }
}

/**
 * Resolves after `ms` on `clock`, or as soon as `signal` aborts (check `signal.aborted` after):
 * never rejects, and leaves no timer or listener behind.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clear(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
