import type { Request, RequestHandler } from 'express';
import { AppError } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { setRateLimitHeaders } from '../rate-limit/rate-limit-headers.js';
import { rateLimitMetrics } from '../rate-limit/rate-limit-metrics.js';
import { RateLimiter, type RateLimitPolicy } from '../rate-limit/rate-limiter.js';
import { identifyCaller } from './auth.js';

const WINDOW_SECONDS = 60;

/** Paths (under /api/v1) never limited: load balancers and orchestrators probe health. */
const EXEMPT = /^\/health(\/|$)/;

/** A request that creates a job: `POST /jobs` and `POST /jobs/{id}/retry`. */
function isSubmit(req: Request): boolean {
  return req.method === 'POST' && /^\/jobs(\/|\/[^/]+\/retry\/?)?$/.test(req.path);
}

/** The quotas a request is charged to: its key's (and, for submits, the submit quota), else its IP's. */
function policiesFor(req: Request, deps: ApiDeps): RateLimitPolicy[] {
  const { keyRateLimit, submitRateLimit, ipRateLimit } = deps.config.security;
  const policies: RateLimitPolicy[] = [];
  const principal = req.principal;
  if (principal) {
    if (keyRateLimit > 0) policies.push({ name: 'key', partition: principal.keyId, limit: keyRateLimit, windowSeconds: WINDOW_SECONDS });
    if (submitRateLimit > 0 && isSubmit(req)) {
      policies.push({ name: 'submit', partition: principal.keyId, limit: submitRateLimit, windowSeconds: WINDOW_SECONDS });
    }
  } else if (ipRateLimit > 0) {
    policies.push({ name: 'ip', partition: req.ip ?? 'unknown', limit: ipRateLimit, windowSeconds: WINDOW_SECONDS });
  }
  return policies;
}

/**
 * Mounted on /api/v1 before body parsing: identifies the caller (a valid key, else its IP — see
 * `trust proxy`), charges its quotas in Redis (shared by every API instance) and answers 429
 * RATE_LIMITED with Retry-After when one is spent. Every limited response carries RateLimit and
 * RateLimit-Policy. When Redis does not answer, requests pass (fail open, logged, counted).
 */
export function rateLimit(deps: ApiDeps): RequestHandler {
  const metrics = rateLimitMetrics(deps.metrics);
  const limiter = new RateLimiter(deps.redis, {
    prefix: deps.queue.opts.prefix ?? 'gantry',
    logger: deps.logger.child({ component: 'rate-limit' }),
    onFailOpen: () => metrics.failOpen.inc(),
  });
  return async (req, res, next) => {
    if (EXEMPT.test(req.path)) return next();
    await identifyCaller(deps.keys, req);
    const policies = policiesFor(req, deps);
    if (policies.length === 0) return next();
    const decision = await limiter.check(policies);
    if (decision.outcome === 'unchecked') return next();
    setRateLimitHeaders(res, decision.states);
    if (decision.outcome === 'allowed') return next();
    const spent = decision.states.find((s) => s.remaining === 0) ?? decision.states[0]!;
    metrics.limited.inc({ policy: spent.policy.name });
    res.setHeader('Retry-After', String(decision.retryAfterSeconds));
    throw new AppError('RATE_LIMITED', `Rate limit "${spent.policy.name}" (${spent.policy.limit} requests per minute) exceeded; retry in ${decision.retryAfterSeconds} s`, {
      details: { policy: spent.policy.name, limit: spent.policy.limit, windowSeconds: WINDOW_SECONDS, retryAfterSeconds: decision.retryAfterSeconds },
    });
  };
}
