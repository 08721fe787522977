import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { TEST_REDIS_URL } from './stack.js';

/** What {@link redisTestPrefix} gives a test: the suite's client and this test's key prefix. */
export interface RedisTestPrefix {
  /** One connection for the whole describe block. */
  readonly redis: Redis;
  /** `gantry-test-<uuid>`, new for every test. */
  readonly prefix: string;
}

/**
 * Registers hooks giving the current describe block a Redis client (connected in beforeAll, quit in
 * afterAll) and every test a fresh key prefix whose keys (`<prefix>:*`) are deleted after it.
 * Read `redis` and `prefix` from the returned object inside tests, not at describe time.
 *
 * @example
 * const scope = redisTestPrefix();
 * it('...', async () => { const leases = new SlotLeases(scope.redis, { prefix: scope.prefix }); });
 */
export function redisTestPrefix(url = TEST_REDIS_URL): RedisTestPrefix {
  const scope = {} as { redis: Redis; prefix: string };
  beforeAll(() => {
    scope.redis = new Redis(url);
  });
  beforeEach(() => {
    scope.prefix = `gantry-test-${randomUUID()}`;
  });
  afterEach(async () => {
    const keys = await scope.redis.keys(`${scope.prefix}:*`);
    if (keys.length) await scope.redis.del(...keys);
  });
  afterAll(() => scope.redis.quit());
  return scope;
}
