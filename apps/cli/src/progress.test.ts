import type { JobProgress } from './job-progress.js';
import { PlainRenderer, progressLine, TtyRenderer } from './progress.js';

const base: JobProgress = {
  id: 'j1', label: 'portrait', status: 'running', overall: 0.5, node: '3', nodeType: 'KSampler', step: 10, steps: 20,
  attempt: 1, runningSince: 0, finishedAt: undefined, error: null,
};

/** Collects what a renderer writes. */
function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { write: (t: string) => void chunks.push(t), isTTY, columns: 100 }, text: () => chunks.join(''), chunks };
}

describe('progress display', () => {
  it('shows label, bar, percent, step n/N, node, elapsed and ETA', () => {
    const line = progressLine(base, 10_000);
    expect(line).toMatch(/^portrait\s+\[#{8}-{8}\]\s+50% running\s+step 10\/20\s+KSampler #3\s+0:10 ETA 0:10$/);
    expect(progressLine(base, 10_000, 100)).toBe(line);
    expect(progressLine({ ...base, status: 'failed', error: { code: 'OUT_OF_MEMORY', message: '' } }, 10_000)).toMatch(/ failed: OUT_OF_MEMORY step/);
    expect(progressLine(base, 10_000, 40).length).toBeLessThanOrEqual(40);
  });

  it('redraws in place on a TTY, throttled', async () => {
    let now = 0;
    const s = sink(true);
    const r = new TtyRenderer(s.out, 1_000_000, () => now); // only the first update may draw before finish
    r.update(base);
    await new Promise((resolve) => setImmediate(resolve));
    r.update({ ...base, overall: 0.6 });
    r.update({ ...base, id: 'j2', label: 'second' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(s.chunks).toHaveLength(1);
    now = 5_000;
    r.log('saved a.png');
    r.finish();
    const text = s.text();
    expect(text).toContain('\x1b[1A\r\x1b[J'); // moved up over the one-line frame before the log line
    expect(text).toMatch(/saved a\.png\nportrait .* 60% .*\nsecond .*\n\x1b\[2A\r\x1b\[Jportrait .* 60% .*\nsecond .*\n$/);
  });

  it('prints plain lines off a TTY: state changes, quarters, and not every event', () => {
    let now = 0;
    const s = sink(false);
    const r = new PlainRenderer(s.out, 5_000, () => now);
    r.update({ ...base, status: 'queued', overall: 0, runningSince: undefined });
    r.update({ ...base, overall: 0.1 });
    now = 100;
    r.update({ ...base, overall: 0.12 });
    r.update({ ...base, overall: 0.2 });
    r.update({ ...base, overall: 0.3 });
    now = 6_000;
    r.update({ ...base, overall: 0.31 });
    r.update({ ...base, status: 'succeeded', overall: 1 });
    const lines = s.text().trim().split('\n');
    expect(lines.map((l) => / (queued|running|succeeded) /.exec(l)?.[1])).toEqual(['queued', 'running', 'running', 'running', 'succeeded']);
    expect(s.text()).not.toMatch(/\x1b/);
  });
});
