import { FanoutQueue, type Delivery } from './fanout-queue';

interface Entry {
  job: string;
  seq: number;
}

/** Every listener gets every entry; what each got, and in how many calls, is recorded. */
function setup(listeners: number, options: { sliceSize?: number; maxBatch?: number; maxPending?: number; now?: () => number; sliceBudgetMs?: number } = {}) {
  const got = Array.from({ length: listeners }, () => [] as string[]);
  const calls = Array.from({ length: listeners }, () => 0);
  const log: string[] = [];
  const pressure: boolean[] = [];
  const queue = new FanoutQueue<number, Entry>({
    plan: (batch): Delivery<number, Entry>[] => {
      log.push(`round ${batch.length}`);
      return got.map((_, listener) => ({ listener, entries: batch }));
    },
    deliver: (listener, entries) => {
      calls[listener]! += 1;
      log.push(`deliver ${listener}`);
      for (const e of entries) got[listener]!.push(`${e.job}:${e.seq}`);
    },
    bytes: () => 100,
    now: options.now ?? (() => 0),
    maxBatch: options.maxBatch ?? 1000,
    maxBatchBytes: 1 << 20,
    sliceSize: options.sliceSize ?? 100,
    sliceBudgetMs: options.sliceBudgetMs ?? 10,
    maxPending: options.maxPending ?? 1000,
    onPressure: (paused) => pressure.push(paused),
  });
  return { queue, got, calls, log, pressure };
}

/** Runs the event loop's check phase until `done` (bounded: a broken queue fails, never hangs). */
async function turns(done: () => boolean, max = 1000): Promise<number> {
  for (let i = 0; i < max; i++) {
    if (done()) return i;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error('not done after the bounded number of turns');
}

describe('FanoutQueue', () => {
  it('delivers a burst in one round: one call per listener, entries in order', async () => {
    const { queue, got, calls } = setup(3);
    for (let seq = 1; seq <= 5; seq++) queue.push({ job: 'a', seq });
    expect(calls).toEqual([0, 0, 0]); // nothing synchronous: the burst is gathered first
    await turns(() => got[2]!.length === 5);
    expect(got).toEqual(Array.from({ length: 3 }, () => ['a:1', 'a:2', 'a:3', 'a:4', 'a:5']));
    expect(calls).toEqual([1, 1, 1]);
  });

  it('cuts a round in slices and yields between them, so other work runs in between', async () => {
    const { queue, got, log } = setup(10, { sliceSize: 3 });
    queue.push({ job: 'a', seq: 1 });
    let otherRanAt = -1;
    setImmediate(() => {
      // Scheduled after the first slice: runs between slices, not after the whole round.
      setImmediate(() => (otherRanAt = log.length));
    });
    await turns(() => got[9]!.length === 1);
    const delivered = log.filter((l) => l.startsWith('deliver'));
    expect(delivered).toHaveLength(10);
    expect(otherRanAt).toBeGreaterThan(0);
    expect(otherRanAt).toBeLessThan(log.length);
  });

  it('ends a slice when its time budget is spent, whatever its size', async () => {
    let t = 0;
    const { queue, got, log } = setup(64, { sliceSize: 1000, sliceBudgetMs: 5, now: () => t });
    const original = log.push.bind(log);
    // Each delivery "takes" 1 ms of the injected clock.
    log.push = (...items: string[]) => {
      if (items[0]?.startsWith('deliver')) t += 1;
      return original(...items);
    };
    queue.push({ job: 'a', seq: 1 });
    const slices = await turns(() => got[63]!.length === 1);
    // The budget is checked every 16 deliveries: 64 listeners in 4 slices of 16, not 1 of 64.
    expect(slices).toBeGreaterThanOrEqual(4);
  });

  it('keeps each listener in queue order across rounds, and bounds a round', async () => {
    const { queue, got, log } = setup(2, { maxBatch: 4 });
    for (let seq = 1; seq <= 10; seq++) queue.push({ job: 'a', seq });
    await turns(() => got[1]!.length === 10);
    queue.push({ job: 'b', seq: 1 });
    await turns(() => got[1]!.length === 11);
    expect(log.filter((l) => l.startsWith('round'))).toEqual(['round 4', 'round 4', 'round 2', 'round 1']);
    expect(got[0]).toEqual([...Array.from({ length: 10 }, (_, i) => `a:${i + 1}`), 'b:1']);
  });

  it('asks the source to pause above maxPending and to resume below half of it', async () => {
    const { queue, got, pressure } = setup(1, { maxBatch: 2, maxPending: 4 });
    for (let seq = 1; seq <= 6; seq++) queue.push({ job: 'a', seq });
    expect(pressure).toEqual([true]);
    await turns(() => got[0]!.length === 6);
    expect(pressure).toEqual([true, false]);
  });

  it('drops what is queued once stopped', async () => {
    const { queue, got } = setup(1);
    queue.push({ job: 'a', seq: 1 });
    queue.stop();
    queue.push({ job: 'a', seq: 2 });
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(got[0]).toEqual([]);
  });
});
