import { ReusedRead } from './reused-read';

describe('ReusedRead', () => {
  let now = 10_000;
  const clock = () => now;

  it('reuses a read for its bound from when it began, and reads again after', async () => {
    const starts: number[] = [];
    const reused = new ReusedRead(async (at) => (starts.push(at), starts.length), 1000, clock);
    expect(await reused.get()).toBe(1);
    now += 999;
    expect(await reused.get()).toBe(1);
    now += 1;
    expect(await reused.get()).toBe(2);
    expect(starts).toEqual([10_000, 11_000]);
  });

  it('shares one read in flight between concurrent callers', async () => {
    let release!: (v: string) => void;
    let reads = 0;
    const reused = new ReusedRead(() => (reads++, new Promise<string>((r) => (release = r))), 1000, clock);
    const both = Promise.all([reused.get(), reused.get()]);
    release('x');
    expect(await both).toEqual(['x', 'x']);
    expect(reads).toBe(1);
  });

  it('keeps neither a rejected read nor a value it is told not to keep', async () => {
    let fail = true;
    let reads = 0;
    const reused = new ReusedRead(
      async () => {
        reads += 1;
        if (fail) throw new Error('down');
        return reads;
      },
      1000,
      clock,
      (v) => v > 2,
    );
    await expect(reused.get()).rejects.toThrow('down');
    fail = false;
    expect(await reused.get()).toBe(2); // read again at once; not kept (2 is turned down)
    expect(await reused.get()).toBe(3);
    expect(await reused.get()).toBe(3); // kept
  });

  it('reads again when the clock went back', async () => {
    let reads = 0;
    const reused = new ReusedRead(async () => ++reads, 1000, clock);
    await reused.get();
    now -= 5000;
    expect(await reused.get()).toBe(2);
  });
});
