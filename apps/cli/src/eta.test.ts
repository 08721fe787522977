import { estimateRemainingMs, formatDuration } from './eta.js';
import { applyProgressEvent, progressFromJob, timing } from './job-progress.js';
import type { Job, JobEvent } from '@gantry/sdk';

describe('ETA', () => {
  it('extrapolates the average pace so far', () => {
    expect(estimateRemainingMs(10_000, 0.5)).toBe(10_000);
    expect(estimateRemainingMs(10_000, 0.25)).toBe(30_000);
    expect(estimateRemainingMs(3_000, 0.75)).toBe(1_000);
    expect(estimateRemainingMs(5_000, 1)).toBe(0);
  });


  it('gives none with too little to go on', () => {
    expect(estimateRemainingMs(10_000, 0)).toBeUndefined();
    expect(estimateRemainingMs(10_000, 0.01)).toBeUndefined();
    expect(estimateRemainingMs(500, 0.5)).toBeUndefined();
    expect(estimateRemainingMs(Number.NaN, 0.5)).toBeUndefined();
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(59_400)).toBe('0:59');
    expect(formatDuration(61_000)).toBe('1:01');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(undefined)).toBe('-:--');
    expect(formatDuration(-5)).toBe('-:--');
  });
});

const job = (over: Partial<Job> = {}): Job => ({
  id: 'j1', kind: 'workflow', status: 'queued', priority: 0, progress: 0, attempts: 0, backend: null, requirements: null,
  metadata: null, timeoutSeconds: null, webhook: null, createdAt: '2026-01-01T00:00:00Z', startedAt: null, finishedAt: null, error: null,
  artifacts: [], lastError: null, retryOf: null, reusedFrom: null, links: { self: '/api/v1/jobs/j1', cancel: '', events: '' }, ...over,
});
const ev = (seq: number, event: JobEvent['event']): JobEvent => ({ jobId: 'j1', seq, at: '2026-01-01T00:00:00Z', event });

describe('job progress', () => {
  it('tracks step n/N, the node type, elapsed and ETA per attempt', () => {
    const wf = { '3': { class_type: 'KSampler', inputs: {} } };
    let p = progressFromJob(job(), 'wf', 0);
    p = applyProgressEvent(p, ev(1, { type: 'state', status: 'running', attempt: 1, backend: 'sim0' }), 1_000, wf);
    p = applyProgressEvent(p, ev(2, { type: 'progress', node: '3', value: 0, max: 20, overall: 0.2 }), 2_000, wf);
    p = applyProgressEvent(p, ev(3, { type: 'progress', node: '3', value: 5, max: 20, overall: 0.4 }), 6_000, wf);
    expect(p).toMatchObject({ status: 'running', step: 5, steps: 20, node: '3', nodeType: 'KSampler', overall: 0.4 });
    // 5 s running at the job's own rate, 40% in 5 s → 60% left takes 7.5 s.
    expect(timing(p, 6_000)).toEqual({ elapsedMs: 5_000, etaMs: 7_500 });

    // A retry restarts the bar and the clock.
    p = applyProgressEvent(p, ev(4, { type: 'state', status: 'queued', attempt: 1 }), 6_000, wf);
    expect(p).toMatchObject({ overall: 0, step: 0, steps: 0, node: null });
    expect(timing(p, 7_000)).toEqual({ elapsedMs: undefined, etaMs: undefined });
    p = applyProgressEvent(p, ev(5, { type: 'state', status: 'running', attempt: 2 }), 8_000, wf);
    p = applyProgressEvent(p, ev(6, { type: 'state', status: 'succeeded', attempt: 2 }), 10_000, wf);
    expect(p.overall).toBe(1);
    expect(timing(p, 99_000)).toEqual({ elapsedMs: 2_000, etaMs: undefined }); // frozen once finished
  });

  it('estimates from the overall rate since running: 67% after 4 s of a 120-step job is 0:02 left (it ended at 0:06)', () => {
    // The job on a clock we drive: loaders and text encoders count 60% within the first
    // second, 120 sampler steps take `overall` to 67% at 4 s, decode and save end it at 6 s.
    // Measured from the first progress (the old way) this showed ETA 0:14.
    const wf = { '3': { class_type: 'KSampler', inputs: {} } };
    let seq = 0;
    let p = progressFromJob(job(), 'wf', 0);
    p = applyProgressEvent(p, ev(++seq, { type: 'state', status: 'running', attempt: 1, backend: 'sim0' }), 0, wf);
    const etas: number[] = [];
    for (let step = 0; step <= 120; step += 10) {
      const now = 1_000 + step * 25;
      p = applyProgressEvent(p, ev(++seq, { type: 'progress', node: '3', value: step, max: 120, overall: 0.6 + (0.07 * step) / 120 }), now, wf);
      etas.push(timing(p, now).etaMs ?? 0);
    }
    expect(p.overall).toBeCloseTo(0.67);
    expect(timing(p, 4_000)).toEqual({ elapsedMs: 4_000, etaMs: 1_970 });
    expect(formatDuration(timing(p, 4_000).etaMs)).toBe('0:02');
    // While the sampler ran, the estimate never claimed more than the 5 s the job had at most left.
    expect(Math.max(...etas)).toBeLessThan(5_000);
    p = applyProgressEvent(p, ev(++seq, { type: 'state', status: 'succeeded', attempt: 1 }), 6_000, wf);
    expect(timing(p, 6_000)).toEqual({ elapsedMs: 6_000, etaMs: undefined });
  });
});
