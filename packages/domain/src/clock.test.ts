import { delay, ManualClock, systemClock } from './clock.js';

describe('ManualClock', () => {
  it('stands still until advanced, then fires due timers in due order with now() at their due time', () => {
    const clock = new ManualClock(1000);
    const seen: string[] = [];
    clock.setTimeout(() => seen.push(`b@${clock.now()}`), 20);
    clock.setTimeout(() => seen.push(`a@${clock.now()}`), 10);
    clock.setTimeout(() => seen.push(`c@${clock.now()}`), 20); // same due time: creation order
    expect(clock.now()).toBe(1000);
    clock.advance(15);
    expect(seen).toEqual(['a@1010']);
    expect(clock.now()).toBe(1015);
    clock.advance(100);
    expect(seen).toEqual(['a@1010', 'b@1020', 'c@1020']);
    expect(clock.now()).toBe(1115);
    expect(clock.pending).toBe(0);
  });

  it('repeats intervals, fires timers set by callbacks within the same advance, and clears', () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const every = clock.setInterval(() => ticks.push(clock.now()), 10);
    const chained: number[] = [];
    clock.setTimeout(() => clock.setTimeout(() => chained.push(clock.now()), 5), 3);
    clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
    expect(chained).toEqual([8]);
    clock.clear(every);
    clock.clear(undefined);
    clock.advance(100);
    expect(ticks).toEqual([10, 20, 30]);
  });

  it('advance(0) fires what is due now; a negative advance is refused', () => {
    const clock = new ManualClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), 0).unref();
    clock.advance(0);
    expect(fired).toBe(true);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('systemClock', () => {
  it('reads the real time and runs real timers that can be cleared', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    const cleared = systemClock.setTimeout(() => {
      throw new Error('must not fire');
    }, 0);
    systemClock.clear(cleared);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 0).unref());
  });
});

describe('delay', () => {
  it('resolves when the clock passes the delay, or at once when the signal aborts, leaving no timer', async () => {
    const clock = new ManualClock(0);
    let done = false;
    const waiting = delay(clock, 100, undefined).then(() => (done = true));
    clock.advance(99);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await waiting;
    expect(done).toBe(true);

    const controller = new AbortController();
    const aborted = delay(clock, 1_000_000, controller.signal);
    controller.abort();
    await aborted;
    expect(clock.pending).toBe(0);
    await delay(clock, 1_000_000, controller.signal); // already aborted: no wait at all
  });
});
