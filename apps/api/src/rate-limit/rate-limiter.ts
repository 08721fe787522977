import type { Logger } from '@gantry/logger';
import { runScript, type RedisClient } from '@gantry/queue';
import { GCRA } from './gcra-script.js';

const DOWN = new Set(['reconnecting', 'close', 'end']);

/** One quota: `limit` requests per `windowSeconds`, for one partition (a key id, an IP). */
export interface RateLimitPolicy {
  /** Policy name, as advertised in `RateLimit-Policy` (e.g. "key", "submit", "ip"). */
  name: string;
  /** What the quota is counted against: `key:<id>`, `ip:<address>`... */
  partition: string;
  limit: number;
  windowSeconds: number;
}

export interface PolicyState {
  policy: RateLimitPolicy;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Seconds until the whole quota is available again. */
  resetSeconds: number;
}

export type RateLimitDecision =
  | { outcome: 'allowed'; states: PolicyState[] }
  | { outcome: 'limited'; states: PolicyState[]; retryAfterSeconds: number }
  /** Redis did not answer: the request goes through unchecked (fail open, logged). */
  | { outcome: 'unchecked' };

export interface RateLimiterOptions {
  /** Redis key prefix (GANTRY_QUEUE_PREFIX). */
  prefix: string;
  /** Longest wait for Redis before failing open. */
  timeoutMs?: number;
  logger: Logger;
  onFailOpen?: () => void;
}

/**
 * Shared rate limits: every API instance charges the same Redis buckets (see gcra-script.ts).
 * If Redis is down or slow, requests are let through rather than refused (the API stays usable
 * for reads of PostgreSQL; submits fail on the queue anyway), with a warning at most every 10 s.
 */
export class RateLimiter {
  private readonly timeoutMs: number;
  private lastWarning = 0;

  constructor(
    private readonly redis: RedisClient,
    private readonly options: RateLimiterOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 500;
  }

  /** Charges `cost` requests (a batch of jobs counts each one) to every policy, or none when one refuses. */
  async check(policies: RateLimitPolicy[], cost = 1): Promise<RateLimitDecision> {
    if (policies.length === 0) return { outcome: 'allowed', states: [] };
    // A lost connection fails open at once; one still being opened gets the timeout.
    if (DOWN.has(this.redis.status)) return this.failOpen(new Error(`redis connection is ${this.redis.status}`));
    const keys = policies.map((p) => `${this.options.prefix}:ratelimit:${p.name}:${p.partition}`);
    const args: (string | number)[] = [cost];
    for (const p of policies) args.push((p.windowSeconds * 1000) / p.limit, p.limit);
    let timer: NodeJS.Timeout | undefined;
    try {
      const reply = (await Promise.race([
        runScript(this.redis, GCRA, keys, args),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`rate limiter: no answer from redis within ${this.timeoutMs} ms`)), this.timeoutMs);
        }),
      ])) as number[];
      const states = policies.map((policy, i) => ({
        policy,
        remaining: Number(reply[2 + 2 * i]),
        resetSeconds: Math.ceil(Number(reply[3 + 2 * i]) / 1000),
      }));
      if (reply[0] === 1) return { outcome: 'allowed', states };
      return { outcome: 'limited', states, retryAfterSeconds: Math.max(1, Math.ceil(Number(reply[1]) / 1000)) };
    } catch (err) {
      return this.failOpen(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private failOpen(err: unknown): RateLimitDecision {
    this.options.onFailOpen?.();
    const now = Date.now();
    if (now - this.lastWarning > 10_000) {
      this.lastWarning = now;
      this.options.logger.warn({ err }, 'rate limiter cannot reach redis: requests pass unchecked (fail open)');
    }
    return { outcome: 'unchecked' };
  }
}
