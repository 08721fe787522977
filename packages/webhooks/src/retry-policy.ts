import { backoffDelay } from '@gantry/domain';

/** When to try a webhook again, and when. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time (with jitter). */
  baseDelayMs: number;
  /** Longest delay between two attempts (also caps Retry-After). */
  maxDelayMs: number;
}

/** Network errors, timeouts, 5xx and 429 are worth another try; other answers are final. */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode >= 500 || statusCode === 429;
}

/**
 * Delay after the `attempt`-th failed attempt (1-based): exponential with "equal jitter"
 * (between half and all of base × 2^(attempt-1)), capped; a Retry-After the receiver asked for is
 * honoured when it is longer (up to the cap).
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number, retryAfterMs: number | null = null, random = Math.random): number {
  const jittered = backoffDelay(attempt, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, random);
  const wanted = retryAfterMs !== null ? Math.max(jittered, retryAfterMs) : jittered;
  return Math.max(0, Math.min(policy.maxDelayMs, wanted));
}

/** `Retry-After` as milliseconds from `now`: delay-seconds or an HTTP date; null when absent or invalid. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  if (!/[a-z]/i.test(text)) return null;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
