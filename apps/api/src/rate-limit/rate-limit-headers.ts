import type { Response } from 'express';
import type { PolicyState } from './rate-limiter.js';

/**
 * The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-10/11, structured
 * fields): one list member per policy that applies to the request.
 *
 *   RateLimit-Policy: "key";q=600;w=60, "submit";q=120;w=60
 *   RateLimit: "key";r=598;t=1, "submit";r=119;t=1
 *
 * `q` quota and `w` window (seconds) of the policy; `r` requests remaining, `t` seconds until the
 * quota is whole again.
 */
export function setRateLimitHeaders(res: Response, states: PolicyState[]): void {
  if (states.length === 0) return;
  res.setHeader('RateLimit-Policy', states.map((s) => `"${s.policy.name}";q=${s.policy.limit};w=${s.policy.windowSeconds}`).join(', '));
  res.setHeader('RateLimit', states.map((s) => `"${s.policy.name}";r=${s.remaining};t=${s.resetSeconds}`).join(', '));
}
