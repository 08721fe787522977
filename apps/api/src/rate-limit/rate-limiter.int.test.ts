import { Redis } from 'ioredis';
import { silentLogger } from '@gantry/logger';
import { redisTestPrefix } from '@gantry/testing';
import { RateLimiter, type RateLimitPolicy } from './rate-limiter';

describe('RateLimiter (GCRA in Redis)', () => {
  const scope = redisTestPrefix();
  const policy = (name: string, limit: number, partition = 'p1'): RateLimitPolicy => ({ name, partition, limit, windowSeconds: 60 });

  it('lets the quota through at once, then refuses with a retry time', async () => {
    const limiter = new RateLimiter(scope.redis, { prefix: scope.prefix, logger: silentLogger() });
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = await limiter.check([policy('key', 5)]);
      expect(d.outcome).toBe('allowed');
      if (d.outcome === 'allowed') remaining.push(d.states[0]!.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const refused = await limiter.check([policy('key', 5)]);
    expect(refused.outcome).toBe('limited');
    if (refused.outcome !== 'limited') return;
    // One request comes back every 12 s (60 s / 5); the full quota within a minute.
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(12);
    expect(refused.states[0]!.remaining).toBe(0);
    expect(refused.states[0]!.resetSeconds).toBeLessThanOrEqual(60);
    // Another partition has its own budget.
    expect((await limiter.check([policy('key', 5, 'p2')])).outcome).toBe('allowed');
  });

  it('charges several buckets atomically: a refusal by one charges none', async () => {
    const limiter = new RateLimiter(scope.redis, { prefix: scope.prefix, logger: silentLogger() });
    for (let i = 0; i < 2; i++) expect((await limiter.check([policy('key', 10), policy('submit', 2)])).outcome).toBe('allowed');
    const refused = await limiter.check([policy('key', 10), policy('submit', 2)]);
    expect(refused.outcome).toBe('limited');
    // The general bucket was charged twice, not three times.
    const general = await limiter.check([policy('key', 10)]);
    expect(general.outcome === 'allowed' && general.states[0]!.remaining).toBe(7);
  });

  it('shares the budget between limiters on different connections', async () => {
    const other = new Redis(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      const a = new RateLimiter(scope.redis, { prefix: scope.prefix, logger: silentLogger() });
      const b = new RateLimiter(other, { prefix: scope.prefix, logger: silentLogger() });
      const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).check([policy('ip', 6)])));
      expect(outcomes.filter((o) => o.outcome === 'allowed')).toHaveLength(6);
      expect(outcomes.filter((o) => o.outcome === 'limited')).toHaveLength(4);
    } finally {
      other.disconnect();
    }
  });

  it('fails open, counting it, when Redis is unreachable', async () => {
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    let failOpen = 0;
    const limiter = new RateLimiter(dead, { prefix: scope.prefix, logger: silentLogger(), onFailOpen: () => (failOpen += 1) });
    try {
      expect(await limiter.check([policy('key', 1)])).toEqual({ outcome: 'unchecked' });
      expect(await limiter.check([policy('key', 1)])).toEqual({ outcome: 'unchecked' });
      expect(failOpen).toBe(2);
    } finally {
      dead.disconnect();
    }
  });
});
