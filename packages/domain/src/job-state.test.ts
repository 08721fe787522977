import { JOB_STATUSES } from '@gantry/contract';
import { assertTransition, canTransition, isTerminal, sourcesOf } from './job-state';

describe('job state machine', () => {
  it('follows queued → dispatched → running → terminal', () => {
    expect(canTransition('queued', 'dispatched')).toBe(true);
    expect(canTransition('dispatched', 'running')).toBe(true);
    expect(canTransition('running', 'succeeded')).toBe(true);
    expect(canTransition('running', 'failed')).toBe(true);
    expect(canTransition('running', 'canceled')).toBe(true);
  });

  it('allows a retry back to queued only from an active state', () => {
    expect(canTransition('dispatched', 'queued')).toBe(true);
    expect(canTransition('running', 'queued')).toBe(true);
    expect(canTransition('succeeded', 'queued')).toBe(false);
    expect(canTransition('queued', 'queued')).toBe(false);
  });

  it('never leaves a terminal state', () => {
    for (const from of ['succeeded', 'failed', 'canceled'] as const) {
      expect(isTerminal(from)).toBe(true);
      for (const to of JOB_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it('refuses skipping the backend (queued → running)', () => {
    expect(() => assertTransition('queued', 'running')).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it('lets a queued job succeed only as a reuse (no run), never fall back from a terminal state', () => {
    expect(canTransition('queued', 'succeeded')).toBe(true);
    expect(sourcesOf('succeeded').sort()).toEqual(['dispatched', 'queued', 'running']);
  });

  it('lists the statuses a target can be reached from', () => {
    expect(sourcesOf('dispatched')).toEqual(['queued']);
    expect(sourcesOf('canceled').sort()).toEqual(['dispatched', 'queued', 'running']);
  });
});
