import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@gantry/queue';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`;

/**
 * A Redis lock with a token and a TTL: at most one retention run at a time across the fleet and
 * the `npm run retention` script, even when a run outlasts its period. Released only by its owner;
 * a crashed owner's lock expires after the TTL.
 */
export class RetentionLock {
  private readonly key: string;
  private readonly token = randomBytes(16).toString('hex');

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    private readonly ttlMs = 10 * 60_000,
  ) {
    this.key = `${prefix}:retention:lock`;
  }

  /** True when this instance now holds the lock. */
  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** Pushes the expiry out again; false when the lock was lost (expired and taken by another). */
  async extend(): Promise<boolean> {
    return Number(await this.redis.eval(EXTEND, 1, this.key, this.token, String(this.ttlMs))) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
