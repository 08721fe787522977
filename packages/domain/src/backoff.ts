/** Bounds of an exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay; the ceiling doubles with each attempt. */
  baseMs: number;
  /** Largest ceiling; default: no cap. */
  maxMs?: number;
}

/**
 * Delay after the `attempt`-th failure (1-based): exponential with "equal jitter", i.e. a random
 * value between half and all of min(maxMs, baseMs × 2^(attempt-1)). Keeping half the ceiling
 * guarantees the delay still grows (unlike full jitter) while the random half spreads out the
 * retries of many clients that failed at the same moment. The single backoff of the server side
 * (worker job retries, webhook deliveries, database retries).
 */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  // The exponent is bounded so a huge attempt number cannot overflow to Infinity.
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const ceiling = Math.min(options.maxMs ?? Number.POSITIVE_INFINITY, options.baseMs * 2 ** exponent);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
