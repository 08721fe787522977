import { randomUUID } from 'node:crypto';
import { parseRedisTarget, redisKeyPrefix } from '@gantry/domain';
import { closeRedis, createRedis, type RedisClient } from '@gantry/queue';
import { deleteKeys } from './redis-keys.js';
import { TEST_REDIS_URL } from './stack.js';

/** What {@link redisTestPrefix} gives a test: the suite's client and this test's key prefix. */
export interface RedisTestPrefix {
  /** One connection for the whole describe block. */
  readonly redis: RedisClient;
  /** `gantry-test-<uuid>` (hash-tagged on a cluster), new for every test. */
  readonly prefix: string;
}

/**
 * Registers hooks giving the current describe block a Redis client (connected in beforeAll, quit in
 * afterAll) and every test a fresh key prefix whose keys (`<prefix>:*`) are deleted after it.
 * Read `redis` and `prefix` from the returned object inside tests, not at describe time. `url` may be
 * a function, read in beforeAll: for servers a test starts in an earlier beforeAll.
 *
 * @example
 * const scope = redisTestPrefix();
 * it('...', async () => { const leases = new SlotLeases(scope.redis, { prefix: scope.prefix }); });
 */
export function redisTestPrefix(url: string | (() => string) = TEST_REDIS_URL): RedisTestPrefix {
  const scope = {} as { redis: RedisClient; prefix: string };
  let resolved = '';
  beforeAll(() => {
    resolved = typeof url === 'function' ? url() : url;
    scope.redis = createRedis(resolved);
  });
  beforeEach(() => {
    scope.prefix = redisKeyPrefix(`gantry-test-${randomUUID()}`, parseRedisTarget(resolved).mode);
  });
  afterEach(async () => {
    await deleteKeys(scope.redis, `${scope.prefix}:*`);
  });
  afterAll(() => closeRedis(scope.redis));
  return scope;
}
