import {
  breakerPhase,
  consecutiveFailures,
  emptySnapshot,
  onProbeFailure,
  onProbeInconclusive,
  onProbeSuccess,
  onStrike,
  probeDue,
  type BreakerConfig,
  type HealthSnapshot,
} from './breaker';
import { deriveState, isDispatchable } from './states';

const config: BreakerConfig = { failureThreshold: 3, cooldownMs: 1000 };

function failTimes(s: HealthSnapshot, n: number, now: number): HealthSnapshot {
  for (let i = 0; i < n; i++) s = onProbeFailure(s, now, 'GET /system_stats failed: ECONNREFUSED', config);
  return s;
}

describe('circuit breaker', () => {
  it('starts closed and unknown', () => {
    const s = emptySnapshot();
    expect(breakerPhase(s, 0)).toBe('closed');
    expect(deriveState(s, false, 0)).toBe('unknown');
    expect(probeDue(s, 0)).toBe(true);
  });

  it('is unhealthy below the threshold and opens at it', () => {
    let s = failTimes(emptySnapshot(), 2, 100);
    expect(s.phase).toBe('closed');
    expect(deriveState(s, false, 100)).toBe('unhealthy');
    expect(s.lastError).toMatch(/ECONNREFUSED/);
    s = failTimes(s, 1, 200);
    expect(s.phase).toBe('open');
    expect(s.openUntil).toBe(1200);
    expect(consecutiveFailures(s)).toBe(3);
    expect(deriveState(s, false, 200)).toBe('open');
  });

  it('is not probed during the cooldown, then half-open for one probe', () => {
    const s = failTimes(emptySnapshot(), 3, 0);
    expect(probeDue(s, 999)).toBe(false);
    expect(breakerPhase(s, 999)).toBe('open');
    expect(breakerPhase(s, 1000)).toBe('half_open');
    expect(probeDue(s, 1000)).toBe(true);
    expect(deriveState(s, false, 1000)).toBe('open'); // still not dispatchable until the probe succeeds
  });

  it('closes on a successful half-open probe and forgets strikes', () => {
    let s = onStrike(emptySnapshot(), 0, config);
    s = failTimes(s, 2, 0);
    expect(s.phase).toBe('open');
    s = onProbeSuccess(s, 1000);
    expect(s).toMatchObject({ phase: 'closed', openUntil: null, probeFailures: 0, strikes: 0, up: true, lastError: null });
    expect(deriveState(s, false, 1000)).toBe('healthy');
  });

  it('re-opens for a full cooldown when the half-open probe fails', () => {
    let s = failTimes(emptySnapshot(), 3, 0);
    s = onProbeFailure(s, 1500, 'timed out', config);
    expect(s.phase).toBe('open');
    expect(s.openUntil).toBe(2500);
    expect(s.probeFailures).toBe(4);
  });

  it('leaves an open breaker in its cooldown alone (a probe already in flight fails late)', () => {
    let s = failTimes(emptySnapshot(), 3, 0);
    s = onProbeFailure(s, 500, 'late', config);
    expect(s.openUntil).toBe(1000);
    s = onProbeSuccess(s, 600); // late success before the cooldown ended: stays open
    expect(s.phase).toBe('open');
    expect(deriveState(s, false, 600)).toBe('open');
  });

  it('counts job strikes towards opening, even while probes succeed', () => {
    let s = onProbeSuccess(emptySnapshot(), 0);
    s = onStrike(s, 10, config);
    s = onProbeSuccess(s, 20);
    s = onStrike(s, 30, config);
    expect(s.phase).toBe('closed');
    expect(deriveState(s, false, 30)).toBe('healthy');
    s = onStrike(s, 40, config);
    expect(s.phase).toBe('open');
    expect(s.openUntil).toBe(1040);
  });

  it('mixes probe failures and strikes', () => {
    let s = onProbeFailure(emptySnapshot(), 0, 'x', config);
    s = onStrike(s, 0, config);
    expect(s.phase).toBe('closed');
    s = onStrike(s, 0, config);
    expect(s.phase).toBe('open');
  });

  it('an inconclusive probe (timed out while the backend accepted a prompt) changes neither count nor phase', () => {
    const once = failTimes(emptySnapshot(), 2, 0);
    const s = onProbeInconclusive(once, 50);
    expect(s).toEqual({ ...once, lastProbeAt: 50 });
    expect(onProbeInconclusive(failTimes(emptySnapshot(), 3, 0), 60).phase).toBe('open');
  });

  it('strikes while open only count', () => {
    const s = failTimes(emptySnapshot(), 3, 0);
    const t = onStrike(s, 1200, config);
    expect(t.openUntil).toBe(1000);
    expect(t.strikes).toBe(1);
  });
});

describe('backend states', () => {
  it('orders open, unhealthy, draining, unknown, healthy', () => {
    const healthy = onProbeSuccess(emptySnapshot(), 0);
    expect(deriveState(healthy, false, 0)).toBe('healthy');
    expect(deriveState(healthy, true, 0)).toBe('draining');
    expect(deriveState(null, true, 0)).toBe('draining');
    expect(deriveState(null, false, 0)).toBe('unknown');
    const down = onProbeFailure(healthy, 0, 'x', { failureThreshold: 5, cooldownMs: 1 });
    expect(deriveState(down, true, 0)).toBe('unhealthy');
    const open = failTimes(healthy, 3, 0);
    expect(deriveState(open, true, 0)).toBe('open');
  });

  it('dispatches only to healthy and unknown backends', () => {
    expect(isDispatchable('healthy')).toBe(true);
    expect(isDispatchable('unknown')).toBe(true);
    expect(isDispatchable('unhealthy')).toBe(false);
    expect(isDispatchable('open')).toBe(false);
    expect(isDispatchable('draining')).toBe(false);
  });
});
