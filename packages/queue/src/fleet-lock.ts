import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.js';
import { redisScript, runScript } from './redis-script.js';

const RELEASE = redisScript('gantryLockRelease', `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`);
const EXTEND = redisScript('gantryLockExtend', `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`);

/**
 * A Redis lock with a token and a TTL, for work one process at a time across the fleet does
 * (retention, the queue reconciler). Released only by its owner; a crashed owner's lock expires
 * after the TTL. Not a correctness fence: the work it guards must be safe to run twice.
 */
export class FleetLock {
  private readonly token = randomBytes(16).toString('hex');

  constructor(
    private readonly redis: RedisClient,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** True when this instance took the lock now (false while anyone, this instance included, holds it). */
  async acquire(): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /** True when this instance holds the lock after the call: renewed if it held it, taken if free. */
  async hold(): Promise<boolean> {
    return (await this.extend()) || (await this.acquire());
  }

  /** Pushes the expiry out again; false when the lock was lost (expired and taken by another). */
  async extend(): Promise<boolean> {
    return Number(await runScript(this.redis, EXTEND, [this.key], [this.token, String(this.ttlMs)])) === 1;
  }

  async release(): Promise<void> {
    await runScript(this.redis, RELEASE, [this.key], [this.token]);
  }
}
