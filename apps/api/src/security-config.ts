import type { ApiEnv } from './env.js';
import type { TrustProxy } from './http/security-env.js';

/** The API's protection settings (docs/security.md), from the environment. */
export interface SecurityConfig {
  /** Requests per minute per API key (0: off). */
  keyRateLimit: number;
  /** `POST /jobs` per minute per API key (0: off). */
  submitRateLimit: number;
  /** Jobs of `POST /jobs/batch` per minute per API key (0: off). */
  batchJobsRateLimit: number;
  /** Requests per minute per client IP without a valid key (0: off). */
  ipRateLimit: number;
  /** Allowed CORS origins (exact), or `*`; empty: no CORS headers. */
  corsOrigins: string[];
  trustProxy: TrustProxy;
  jsonMaxDepth: number;
}

export function securityConfigFrom(env: ApiEnv): SecurityConfig {
  return {
    keyRateLimit: env.GANTRY_RATE_LIMIT_PER_MINUTE,
    submitRateLimit: env.GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE,
    batchJobsRateLimit: env.GANTRY_BATCH_JOBS_RATE_LIMIT_PER_MINUTE,
    ipRateLimit: env.GANTRY_IP_RATE_LIMIT_PER_MINUTE,
    corsOrigins: env.GANTRY_CORS_ORIGINS,
    trustProxy: env.GANTRY_TRUST_PROXY,
    jsonMaxDepth: env.GANTRY_JSON_MAX_DEPTH,
  };
}
