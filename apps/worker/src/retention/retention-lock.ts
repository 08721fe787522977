import { FleetLock, type RedisClient } from '@gantry/queue';

/**
 * At most one retention run at a time across the fleet and the `npm run retention` script, even
 * when a run outlasts its period.
 */
export class RetentionLock extends FleetLock {
  constructor(redis: RedisClient, prefix: string, ttlMs = 10 * 60_000) {
    super(redis, `${prefix}:retention:lock`, ttlMs);
  }
}
