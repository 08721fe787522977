import { Counter, metricSet } from '@gantry/metrics';

/** Rate limiting figures (docs/security.md#metrics). */
export const rateLimitMetrics = metricSet((registry) => ({
  limited: new Counter({
    name: 'gantry_ratelimit_limited_total',
    help: 'Requests refused with 429 RATE_LIMITED, by the policy that refused them',
    labelNames: ['policy'] as const,
    registers: [registry],
  }),
  failOpen: new Counter({
    name: 'gantry_ratelimit_fail_open_total',
    help: 'Requests let through unchecked because Redis did not answer the rate limiter',
    registers: [registry],
  }),
}));
