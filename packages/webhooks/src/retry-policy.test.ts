import { isRetryableStatus, parseRetryAfter, retryDelayMs } from './retry-policy';

const policy = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000 };

describe('webhook retry policy', () => {
  it('retries 5xx and 429 only', () => {
    expect([500, 502, 503, 504, 429].every(isRetryableStatus)).toBe(true);
    expect([200, 301, 302, 400, 401, 403, 404, 410, 422].some(isRetryableStatus)).toBe(false);
  });

  it('backs off exponentially with equal jitter, capped', () => {
    expect(retryDelayMs(policy, 1, null, () => 0)).toBe(500);
    expect(retryDelayMs(policy, 1, null, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 3, null, () => 0)).toBe(2000);
    expect(retryDelayMs(policy, 3, null, () => 1)).toBe(4000);
    expect(retryDelayMs(policy, 40, null, () => 1)).toBe(60_000);
  });

  it('honours a longer Retry-After, within the cap', () => {
    expect(retryDelayMs(policy, 1, 10_000, () => 0)).toBe(10_000);
    expect(retryDelayMs(policy, 1, 10, () => 1)).toBe(1000);
    expect(retryDelayMs(policy, 1, 3_600_000, () => 0)).toBe(60_000);
  });

  it('parses Retry-After seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-22T06:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 06:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 05:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter('soon-ish', now)).toBeNull();
    expect(parseRetryAfter('1.5', now)).toBeNull();
  });
});
