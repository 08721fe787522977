import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { diskSpace } from './disk-space';
import { ScrapeCache } from './scrape-cache';

describe('ScrapeCache', () => {
  it('reuses a reading within its TTL, shares one read in flight, and reads again after', async () => {
    let now = 1000;
    let reads = 0;
    const cache = new ScrapeCache(async () => ++reads, 5000, () => now);
    expect(await Promise.all([cache.get(), cache.get(), cache.get()])).toEqual([1, 1, 1]);
    now += 4999;
    expect(await cache.get()).toBe(1);
    now += 1;
    expect(await cache.get()).toBe(2);
    expect(reads).toBe(2);
  });

  it('does not cache a failed read', async () => {
    let fail = true;
    const cache = new ScrapeCache(async () => {
      if (fail) throw new Error('redis down');
      return 'ok';
    }, 60_000);
    await expect(cache.get()).rejects.toThrow('redis down');
    fail = false;
    expect(await cache.get()).toBe('ok');
  });

  it('a TTL of 0 reads on every call', async () => {
    let reads = 0;
    const cache = new ScrapeCache(async () => ++reads, 0);
    await cache.get();
    await cache.get();
    expect(reads).toBe(2);
  });
});

describe('diskSpace', () => {
  it('measures the filesystem of a directory, or of its nearest existing parent', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gantry-disk-'));
    try {
      const here = await diskSpace(dir);
      expect(here.totalBytes).toBeGreaterThan(0);
      expect(here.freeBytes).toBeGreaterThanOrEqual(0);
      expect(here.freeBytes).toBeLessThanOrEqual(here.totalBytes);
      const notYet = await diskSpace(path.join(dir, 'artifacts', 'not', 'created'));
      expect(notYet.totalBytes).toBe(here.totalBytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
