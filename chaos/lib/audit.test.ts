import type { ExecutionRecord } from '@gantry/gpu-sim';
import { auditJobs, type AcceptedJob } from './audit';
import type { Ledger, LedgerJob } from './ledger';

/** A job row: `history` is its state statuses in order; one artifact/output event per name in `files`. */
function job(id: string, history: string[], files: string[] = [], extra: Partial<LedgerJob> = {}): LedgerJob {
  return {
    id,
    status: history.at(-1)!,
    attempts: history.filter((s) => s === 'dispatched').length,
    errorCode: null,
    key: `m-${id}`,
    states: history.map((status, i) => ({ seq: i + 1, status, at: 1000 + i, backend: status === 'dispatched' ? 'sim0' : null })),
    outputEvents: files.map((filename, i) => ({ artifactId: `${id}-a${i}`, filename })),
    artifacts: files.map((filename, i) => ({ id: `${id}-a${i}`, filename })),
    ...extra,
  };
}

const run = (marker: string, file: string, sim = 'sim0', finishedAt = 0): ExecutionRecord => ({ sim, prompt_id: `${marker}-${file}`, markers: [marker], outputs: [file], started_at: finishedAt, finished_at: finishedAt });
const ledgerOf = (...jobs: LedgerJob[]): Ledger => new Map(jobs.map((j) => [j.id, j]));
const accepted = (...ids: string[]): AcceptedJob[] => ids.map((id) => ({ jobId: id, marker: `m-${id}` }));
const OK = ['queued', 'dispatched', 'running', 'succeeded'];

describe('auditJobs', () => {
  it('passes jobs that ended once with the outputs of their one execution', () => {
    const a = auditJobs(accepted('a', 'b'), ledgerOf(job('a', OK, ['a_1.png']), job('b', [...OK.slice(0, 3), 'queued', 'dispatched', 'running', 'succeeded'], ['b_1.png'])), [
      run('m-a', 'a_1.png'),
      run('m-b', 'b_1.png', 'sim1'),
    ]);
    expect(a).toMatchObject({ accepted: 2, terminalOnce: 2, succeeded: 2, lost: 0, duplicates: 0, duplicatesAvoided: 1, outputsOk: 2, unacknowledgedRows: 0, strayExecutions: 0 });
    expect(a.findings.flatMap((f) => f.problems)).toEqual([]);
  });

  it('counts a prompt that succeeded twice as a duplicate, even when the record looks fine', () => {
    const a = auditJobs(accepted('a'), ledgerOf(job('a', [...OK.slice(0, 3), 'queued', 'dispatched', 'running', 'succeeded'], ['a_2.png'])), [run('m-a', 'a_1.png'), run('m-a', 'a_2.png', 'sim1')]);
    expect(a).toMatchObject({ duplicates: 1, duplicatesAvoided: 0, terminalOnce: 1, outputsOk: 1 });
    expect(a.findings[0]!.problems).toEqual([expect.stringContaining('executed successfully 2 times')]);
  });

  it('reports unfinished and missing jobs as lost, and a second terminal event as not terminal once', () => {
    const a = auditJobs(accepted('stuck', 'gone', 'twice'), ledgerOf(job('stuck', ['queued']), job('twice', [...OK, 'succeeded'], ['t.png'])), [run('m-twice', 't.png')]);
    expect(a).toMatchObject({ lost: 2, terminalOnce: 0, outputsOk: 1 }); // the twice-ended job's outputs are fine
    expect(a.findings.map((f) => f.problems[0])).toEqual([
      expect.stringContaining('not terminal: queued'),
      'accepted (202) but no row in jobs',
      expect.stringContaining('2 terminal state events'),
    ]);
  });

  it('catches outputs that are not those of one counted execution', () => {
    const stale = job('stale', OK, ['s_1.png'], { outputEvents: [{ artifactId: 'old', filename: 's_0.png' }, { artifactId: 'stale-a0', filename: 's_1.png' }] });
    const phantom = job('phantom', OK, ['p_1.png']);
    const thrownAway = job('thrown', ['queued', 'dispatched', 'failed'], [], { errorCode: 'BACKEND_LOST' });
    const a = auditJobs(accepted('stale', 'phantom', 'thrown'), ledgerOf(stale, phantom, thrownAway), [run('m-stale', 's_1.png'), run('m-thrown', 'x.png')]);
    expect(a).toMatchObject({ outputsOk: 0, failed: 1, failureCodes: { BACKEND_LOST: 1 }, terminalOnce: 3 });
    expect(a.findings.map((f) => f.problems)).toEqual([
      ['2 output events for 1 artifact rows (ids differ)'],
      ['succeeded without a successful execution counted at any backend', 'artifacts not produced by a counted execution: p_1.png'],
      ['ended failed although its prompt ran successfully (outputs thrown away)'],
    ]);
  });

  it('lists rows and executions that belong to no accepted job', () => {
    const a = auditJobs(accepted('a'), ledgerOf(job('a', OK, ['a.png']), job('orphan', ['queued'])), [run('m-a', 'a.png'), run('m-orphan', 'o.png')]);
    expect(a).toMatchObject({ unacknowledgedRows: 1, unacknowledgedUnfinished: 1, strayExecutions: 1, outputsOk: 1 });
  });

  describe('a backend lost for good', () => {
    const RERUN = [...OK.slice(0, 3), 'queued', 'dispatched', 'running', 'succeeded'];
    const lost = [{ backend: 'sim2', at: 10_000 }];

    it('reports a rerun forced by outputs that went with the backend, not a duplicate', () => {
      const a = auditJobs(accepted('a'), ledgerOf(job('a', RERUN, ['a_2.png'])), [run('m-a', 'a_1.png', 'sim2', 9_000), run('m-a', 'a_2.png', 'sim1', 20_000)], lost);
      expect(a).toMatchObject({ duplicates: 0, rerunsAfterLoss: 1, outputsOk: 1, terminalOnce: 1 });
      expect(a.findings[0]).toMatchObject({ rerunAfterLoss: true, unreachableExecutions: 1, problems: [] });
    });

    it('still counts a duplicate when the first execution finished well before the loss (it could be collected)', () => {
      const a = auditJobs(accepted('a'), ledgerOf(job('a', RERUN, ['a_2.png'])), [run('m-a', 'a_1.png', 'sim2', 7_000), run('m-a', 'a_2.png', 'sim1', 20_000)], lost);
      expect(a).toMatchObject({ duplicates: 1, rerunsAfterLoss: 0 });
    });

    it('still counts a duplicate when the outputs were collected from the lost backend and the prompt ran again', () => {
      const a = auditJobs(accepted('a'), ledgerOf(job('a', RERUN, ['a_1.png'])), [run('m-a', 'a_1.png', 'sim2', 9_500), run('m-a', 'a_2.png', 'sim1', 20_000)], lost);
      expect(a.outputsOk).toBe(0);
      expect(a.findings[0]!.problems).toEqual(['artifacts not produced by a counted execution: a_1.png']);
    });

    it('accepts a job collected from the lost backend just in time, and one failed because nothing could be read', () => {
      const failed = job('f', ['queued', 'dispatched', 'failed'], [], { errorCode: 'BACKEND_LOST' });
      const a = auditJobs(accepted('a', 'f'), ledgerOf(job('a', OK, ['a_1.png']), failed), [run('m-a', 'a_1.png', 'sim2', 9_500), run('m-f', 'f_1.png', 'sim2', 11_000)], lost);
      expect(a).toMatchObject({ duplicates: 0, rerunsAfterLoss: 0, outputsOk: 2, failed: 1 });
    });
  });
});
