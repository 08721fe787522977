import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { setRateLimitHeaders } from '../rate-limit/rate-limit-headers.js';
import { rateLimitMetrics } from '../rate-limit/rate-limit-metrics.js';
import { RateLimiter, type PolicyState, type RateLimitPolicy } from '../rate-limit/rate-limiter.js';
import { identifyCaller } from './auth.js';

const WINDOW_SECONDS = 60;

/** Paths (under /api/v1) never limited: load balancers and orchestrators probe health. */
const EXEMPT = /^\/health(\/|$)/;

/** A request that creates jobs: `POST /jobs`, `POST /jobs/batch` and `POST /jobs/{id}/retry`. */
function isSubmit(req: Request): boolean {
  return req.method === 'POST' && /^\/jobs(\/|\/batch\/?|\/[^/]+\/retry\/?)?$/.test(req.path);
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

/** One limiter per API (its Redis connection and counters), shared by the middleware and the batch charge. */
const limiters = new WeakMap<ApiDeps, RateLimiter>();

function limiterOf(deps: ApiDeps): RateLimiter {
  let limiter = limiters.get(deps);
  if (!limiter) {
    const metrics = rateLimitMetrics(deps.metrics);
    limiter = new RateLimiter(deps.redis, {
      prefix: deps.queue.opts.prefix ?? 'gantry',
      logger: deps.logger.child({ component: 'rate-limit' }),
      onFailOpen: () => metrics.failOpen.inc(),
    });
    limiters.set(deps, limiter);
  }
  return limiter;
}

/** Answers 429 RATE_LIMITED for a spent quota (with Retry-After). */
function limited(deps: ApiDeps, res: Response, states: PolicyState[], retryAfterSeconds: number): never {
  const spent = states.find((s) => s.remaining === 0) ?? states[0]!;
  rateLimitMetrics(deps.metrics).limited.inc({ policy: spent.policy.name });
  res.setHeader('Retry-After', String(retryAfterSeconds));
  throw new AppError('RATE_LIMITED', `Rate limit "${spent.policy.name}" (${spent.policy.limit} requests per minute) exceeded; retry in ${retryAfterSeconds} s`, {
    details: { policy: spent.policy.name, limit: spent.policy.limit, windowSeconds: WINDOW_SECONDS, retryAfterSeconds },
  });
}

/**
 * Mounted on /api/v1 before body parsing: identifies the caller (a valid key, else its IP — see
 * `trust proxy`), charges its quotas in Redis (shared by every API instance) and answers 429
 * RATE_LIMITED with Retry-After when one is spent. Every limited response carries RateLimit and
 * RateLimit-Policy. When Redis does not answer, requests pass (fail open, logged, counted).
 * `POST /jobs/batch` is charged here as one request and one submit; its jobs are charged to the
 * batch-jobs quota by chargeBatchSubmits once the body is read. Null when every quota it charges is
 * off: nothing to mount.
 */
export function rateLimit(deps: ApiDeps): RequestHandler | null {
  const limiter = limiterOf(deps);
  // Every quota it charges off (GANTRY_*_RATE_LIMIT_PER_MINUTE=0): nothing to mount, rather than an
  // async pass-through per request (the caller is identified by requireApiKey where it must be).
  const { keyRateLimit, submitRateLimit, ipRateLimit } = deps.config.security;
  if (keyRateLimit <= 0 && submitRateLimit <= 0 && ipRateLimit <= 0) return null;
  return async (req, res, next) => {
    if (EXEMPT.test(req.path)) return next();
    await identifyCaller(deps.keys, req);
    const policies = policiesFor(req, deps);
    if (policies.length === 0) return next();
    const decision = await limiter.check(policies);
    if (decision.outcome === 'unchecked') return next();
    setRateLimitHeaders(res, decision.states);
    res.locals.rateLimitStates = decision.states;
    if (decision.outcome === 'allowed') return next();
    limited(deps, res, decision.states, decision.retryAfterSeconds);
  };
}

/**
 * Charges every job of a batch to the caller's batch-jobs quota (one GCRA call with cost `jobs`),
 * so a batch of n counts as n jobs there (the request itself was charged as one submit). A batch
 * larger than the whole quota could never pass: 413 BATCH_TOO_LARGE saying so, rather than a
 * Retry-After that would never come true.
 */
export async function chargeBatchSubmits(deps: ApiDeps, req: Request, res: Response, jobs: number): Promise<void> {
  const limit = deps.config.security.batchJobsRateLimit;
  const principal = req.principal;
  if (limit <= 0 || !principal) return;
  if (jobs > limit) {
    throw new AppError('BATCH_TOO_LARGE', `The batch has ${jobs} jobs; this key's batch rate limit allows at most ${limit} per minute (GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE): split it`, {
      details: { jobs, max: limit, limit: 'batchJobsRateLimit' },
    });
  }
  const policy: RateLimitPolicy = { name: 'batch-jobs', partition: principal.keyId, limit, windowSeconds: WINDOW_SECONDS };
  const decision = await limiterOf(deps).check([policy], jobs);
  if (decision.outcome === 'unchecked') return;
  const earlier = (res.locals.rateLimitStates as PolicyState[] | undefined) ?? [];
  setRateLimitHeaders(res, [...earlier, ...decision.states]);
  if (decision.outcome === 'limited') limited(deps, res, decision.states, decision.retryAfterSeconds);
}
