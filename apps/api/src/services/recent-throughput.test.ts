import { RecentThroughput, THROUGHPUT_WINDOW_MS } from './recent-throughput.js';

/** A count that answers what it is told and remembers each window start it was asked for. */
function fakeCount(answer: () => number) {
  const asked: number[] = [];
  return { asked, count: (since: Date) => (asked.push(since.getTime()), Promise.resolve(answer())) };
}

describe('RecentThroughput', () => {
  it('counts the last 10 minutes and gives jobs per minute', async () => {
    const { asked, count } = fakeCount(() => 50);
    const throughput = new RecentThroughput(count, () => 1_000_000);
    expect(await throughput.perMinute()).toBe(5);
    expect(asked).toEqual([1_000_000 - THROUGHPUT_WINDOW_MS]);
  });

  it('counts a small window again for every view: exact the moment a job succeeds', async () => {
    let n = 0;
    const { asked, count } = fakeCount(() => n);
    const throughput = new RecentThroughput(count, () => 1_000_000);
    expect(await throughput.perMinute()).toBe(0);
    n = 10;
    expect(await throughput.perMinute()).toBe(1);
    expect(asked).toHaveLength(2);
  });

  it('reuses a large count for a second, then counts again', async () => {
    let now = 1_000_000;
    let n = 20_000;
    const { asked, count } = fakeCount(() => n);
    const throughput = new RecentThroughput(count, () => now);
    expect(await throughput.perMinute()).toBe(2_000);
    n = 30_000;
    now += 999;
    expect(await throughput.perMinute()).toBe(2_000);
    expect(asked).toHaveLength(1);
    now += 1;
    expect(await throughput.perMinute()).toBe(3_000);
    expect(asked).toHaveLength(2);
  });

  it('shares one count among concurrent views', async () => {
    let release: (n: number) => void = () => undefined;
    let calls = 0;
    const throughput = new RecentThroughput(() => (calls++, new Promise<number>((r) => (release = r))), () => 1_000_000);
    const views = [throughput.perMinute(), throughput.perMinute(), throughput.perMinute()];
    release(100);
    expect(await Promise.all(views)).toEqual([10, 10, 10]);
    expect(calls).toBe(1);
  });

  it('does not remember a failed count', async () => {
    let fail = true;
    const throughput = new RecentThroughput(() => (fail ? Promise.reject(new Error('db down')) : Promise.resolve(5_000)), () => 1_000_000);
    await expect(throughput.perMinute()).rejects.toThrow('db down');
    fail = false;
    expect(await throughput.perMinute()).toBe(500);
  });
});
