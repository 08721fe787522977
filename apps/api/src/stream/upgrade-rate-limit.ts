import type { ApiDeps } from '../context.js';
import { rateLimitMetrics } from '../rate-limit/rate-limit-metrics.js';
import { RateLimiter } from '../rate-limit/rate-limiter.js';

/** Seconds to wait before trying again, or null: go ahead. */
export type UpgradeCharge = (ip: string) => Promise<number | null>;

/**
 * Charges WebSocket upgrades to the client IP's `ws` bucket in the shared Redis limiter (the one
 * HTTP requests use, docs/security.md), so a client cannot reconnect in a loop, and each attempt
 * with a bad key (a database lookup) is bounded across every API instance. Like HTTP, it fails
 * open when Redis does not answer. `perMinute` 0: nothing is charged.
 */
export function upgradeRateLimit(deps: ApiDeps, perMinute: number): UpgradeCharge {
  if (perMinute === 0) return async () => null;
  const metrics = rateLimitMetrics(deps.metrics);
  const limiter = new RateLimiter(deps.redis, {
    prefix: deps.queue.opts.prefix ?? 'gantry',
    logger: deps.logger.child({ component: 'rate-limit' }),
    onFailOpen: () => metrics.failOpen.inc(),
  });
  return async (ip) => {
    const decision = await limiter.check([{ name: 'ws', partition: ip, limit: perMinute, windowSeconds: 60 }]);
    if (decision.outcome !== 'limited') return null;
    metrics.limited.inc({ policy: 'ws' });
    return decision.retryAfterSeconds;
  };
}
