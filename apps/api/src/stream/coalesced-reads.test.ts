import { CoalescedReads, type ReadResult } from './coalesced-reads';

/** A read the test settles by hand, recording when each one started. */
function manualReads() {
  const started: Array<{ key: string; resolve: (v: number) => void; reject: (e: unknown) => void }> = [];
  const read = (key: string) => new Promise<number>((resolve, reject) => started.push({ key, resolve, reject }));
  return { started, read };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('CoalescedReads', () => {
  it('shares one read between the requests of a turn, per key, and starts none before it was asked', async () => {
    const { started, read } = manualReads();
    const readErrors: Array<[unknown, string]> = [];
    const reads = new CoalescedReads<string, number>({ read, onError: () => undefined, onReadError: (err, key) => readErrors.push([err, key]), sliceSize: 2, sliceBudgetMs: 1000, now: () => 0 });
    const got: Array<[string, ReadResult<number>]> = [];
    for (let i = 0; i < 5; i++) reads.request('a', (r) => got.push(['a', r]));
    reads.request('b', (r) => got.push(['b', r]));
    expect(started).toHaveLength(0); // gathers the turn's requests first
    await turn();
    expect(started.map((s) => s.key)).toEqual(['a', 'b']);
    started[0]!.resolve(7);
    const down = new Error('down');
    started[1]!.reject(down);
    await turn();
    // Handed out two per slice: not every waiter of `a` in the turn its read settled.
    expect(got.filter(([k]) => k === 'a')).toHaveLength(2);
    for (let i = 0; i < 5; i++) await turn();
    expect(got.filter(([k]) => k === 'a').map(([, r]) => r)).toEqual(Array(5).fill({ ok: true, value: 7 }));
    expect(got.filter(([k]) => k === 'b').map(([, r]) => r.ok)).toEqual([false]);
    expect(readErrors).toEqual([[down, 'b']]);
  });

  it('reports a failed read once, however many requests shared it; each gets the error', async () => {
    const { started, read } = manualReads();
    const readErrors: unknown[] = [];
    const reads = new CoalescedReads<string, number>({ read, onError: () => undefined, onReadError: (err) => readErrors.push(err), sliceSize: 100, sliceBudgetMs: 1000, now: () => 0 });
    const got: boolean[] = [];
    for (let i = 0; i < 10; i++) reads.request('a', (r) => got.push(r.ok));
    await turn();
    started[0]!.reject(new Error('down'));
    await turn();
    await turn();
    expect(got).toEqual(Array(10).fill(false));
    expect(readErrors).toHaveLength(1);
  });

  it('never hands a request the result of a read that started before it: it waits for the next one', async () => {
    const { started, read } = manualReads();
    const reads = new CoalescedReads<string, number>({ read, onError: () => undefined, onReadError: () => undefined, sliceSize: 100, sliceBudgetMs: 1000, now: () => 0 });
    const got: number[] = [];
    reads.request('a', (r) => got.push(r.ok ? r.value : -1));
    await turn();
    expect(started).toHaveLength(1);
    // Asked while the first read is in flight (twice): one more read, after the first settled.
    reads.request('a', (r) => got.push(r.ok ? r.value : -1));
    reads.request('a', (r) => got.push(r.ok ? r.value : -1));
    await turn();
    expect(started).toHaveLength(1);
    started[0]!.resolve(1);
    await turn();
    await turn();
    expect(got).toEqual([1]);
    expect(started).toHaveLength(2);
    started[1]!.resolve(2);
    await turn();
    await turn();
    expect(got).toEqual([1, 2, 2]);
  });
});
