import { redisTestPrefix } from '@gantry/testing';
import { RetentionLock } from '../src/retention/retention-lock';

/** The fleet-wide retention lock: one holder at a time, released or extended only by its holder, expiring when left. */
describe('RetentionLock', () => {
  const scope = redisTestPrefix();

  it('admits one holder; only the holder extends or releases it', async () => {
    const a = new RetentionLock(scope.redis, scope.prefix);
    const b = new RetentionLock(scope.redis, scope.prefix);
    expect(await a.acquire()).toBe(true);
    expect(await b.acquire()).toBe(false);
    expect(await b.extend()).toBe(false);
    await b.release(); // not b's: no effect
    expect(await b.acquire()).toBe(false);
    expect(await a.extend()).toBe(true);
    await a.release();
    expect(await b.acquire()).toBe(true);
    expect(await a.extend()).toBe(false);
    await b.release();
  });

  it('expires when its holder goes away without releasing it', async () => {
    const dead = new RetentionLock(scope.redis, scope.prefix, 300);
    expect(await dead.acquire()).toBe(true);
    const next = new RetentionLock(scope.redis, scope.prefix);
    try {
      // Waits for the TTL by polling Redis, bounded.
      const deadline = Date.now() + 10_000;
      let got = await next.acquire();
      while (!got && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        got = await next.acquire();
      }
      expect(got).toBe(true);
      expect(await scope.redis.pttl(`${scope.prefix}:retention:lock`)).toBeGreaterThan(1000);
    } finally {
      await next.release();
    }
  });
});
