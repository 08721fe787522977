import type { RedisClient } from './connection.js';

/**
 * Redis's clock in ms (TIME), the clock lease expiry is judged by (the lease scripts read it
 * themselves); for code outside a script that must agree with them, e.g. counting live leases.
 */
export async function redisTimeMs(redis: RedisClient): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
