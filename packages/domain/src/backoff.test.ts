import { backoffDelay } from './backoff.js';

describe('backoffDelay (equal jitter)', () => {
  it('stays between half and all of the doubling ceiling', () => {
    expect(backoffDelay(1, { baseMs: 1000 }, () => 0)).toBe(500);
    expect(backoffDelay(1, { baseMs: 1000 }, () => 1)).toBe(1000);
    expect(backoffDelay(3, { baseMs: 1000 }, () => 0)).toBe(2000);
    expect(backoffDelay(3, { baseMs: 1000 }, () => 0.5)).toBe(3000);
    expect(backoffDelay(3, { baseMs: 1000 }, () => 1)).toBe(4000);
  });

  it('caps the ceiling at maxMs', () => {
    expect(backoffDelay(10, { baseMs: 100, maxMs: 5000 }, () => 0)).toBe(2500);
    expect(backoffDelay(10, { baseMs: 100, maxMs: 5000 }, () => 1)).toBe(5000);
  });

  it('treats attempts below 1 as the first and never overflows', () => {
    expect(backoffDelay(0, { baseMs: 100 }, () => 1)).toBe(100);
    expect(backoffDelay(-3, { baseMs: 100 }, () => 1)).toBe(100);
    expect(Number.isFinite(backoffDelay(5000, { baseMs: 1000 }, () => 1))).toBe(true);
    expect(backoffDelay(5000, { baseMs: 1000 }, () => 1)).toBe(1000 * 2 ** 30);
  });

  it('uses Math.random by default, within bounds', () => {
    for (let i = 0; i < 20; i += 1) {
      const d = backoffDelay(2, { baseMs: 1000 });
      expect(d).toBeGreaterThanOrEqual(1000);
      expect(d).toBeLessThanOrEqual(2000);
    }
  });
});
