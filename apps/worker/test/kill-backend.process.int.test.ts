import { readJobLedger, waitForTerminalJobs, type JobLedgerEntry } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';
import { expectEachSucceededOnce, jobSummary, useProcessStack } from './process-fixture';

/**
 * A GPU backend process dies (SIGKILL of a gpu-sim) while jobs run on it: those jobs are retried
 * on the other backends and succeed, each failed dispatch counted as an attempt; no slot leaks.
 * Real processes: one worker, three gpu-sims; the API runs in the test process.
 */
const BACKEND_LOST_MS = 1500;

describe('a backend killed with SIGKILL while jobs run on it (real processes)', () => {
  const fx = useProcessStack('kill-backend', ({ startSimsAndWorker }) =>
    startSimsAndWorker(
      // sim1 (the one to kill) renders 4× slower: a poll on a loaded machine still finds it busy.
      [0, 1, 2].map((i) => ({ name: `sim${i}`, stepMs: i === 1 ? 100 : 25 })),
      { GANTRY_BACKEND_LOST_MS: String(BACKEND_LOST_MS), GANTRY_MAX_ATTEMPTS: '3' },
    ),
  );

  it('retries the jobs of the dead backend on the others; all succeed once, attempts counted', () =>
    fx.procs.guard(async () => {
      const ids = await fx.submit(15, 20);
      // sim1 is rendering and work is still queued.
      await fx.whenRendering(ids, 'sim1', 4);

      const dead = fx.sims[1]!;
      expect((await dead.kill()).signal).toBe('SIGKILL');
      const killedAt = Date.now();
      const atKill = await readJobLedger(fx.stack.databaseUrl, ids);
      const lost = [...atKill.values()].filter((j) => j.backendId === 'sim1' && ['dispatched', 'running'].includes(j.status)).map((j) => j.id);
      expect(lost.length).toBeGreaterThan(0);

      const { ledger, jobs } = await fx.waitForJobs(ids, 40_000);
      expectEachSucceededOnce(jobs);

      // The jobs lost with sim1 ran again elsewhere, and their attempts count both dispatches. (A
      // job whose prompt had completed just before the kill may rightly have finished on sim1.)
      const finishedBeforeKill = (j: JobLedgerEntry) => j.dispatchedTo.length === 1 && j.dispatchedTo[0] === 'sim1';
      const retried = lost.map((id) => ledger.get(id)!).filter((j) => !finishedBeforeKill(j));
      expect(retried.length).toBeGreaterThan(0);
      for (const j of retried) {
        expect({ id: j.id, attempts: j.attempts, first: j.dispatchedTo[0], finalBackend: j.backendId }).toEqual({
          id: j.id,
          attempts: j.dispatchedTo.length,
          first: 'sim1',
          finalBackend: j.dispatchedTo.at(-1),
        });
        expect(j.attempts).toBeGreaterThanOrEqual(2);
        expect(j.backendId).not.toBe('sim1');
        const statuses = j.states.map((s) => s.status);
        expect(statuses.indexOf('queued', 1)).toBeGreaterThan(statuses.indexOf('dispatched'));
      }
      // Every job: attempts == dispatches; a retry only ever followed a dispatch to the dead sim1,
      // and no job went back to it.
      for (const j of jobs) {
        expect({ id: j.id, attempts: j.attempts }).toEqual({ id: j.id, attempts: j.dispatchedTo.length });
        expect({ id: j.id, failedOn: j.dispatchedTo.slice(0, -1).filter((b) => b !== 'sim1') }).toEqual({ id: j.id, failedOn: [] });
        expect({ id: j.id, sim1Twice: j.dispatchedTo.filter((b) => b === 'sim1').length > 1 }).toEqual({ id: j.id, sim1Twice: false });
      }

      await fx.expectQuiet();
      expect(Date.now() - killedAt).toBeLessThan(40_000);

      // The backend comes back on the same address; new work runs to the end.
      await dead.restart();
      const more = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => (await fx.admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 4, seed: 100 + i, width: 64, height: 64 }) })).body.id as string),
      );
      const after = await waitForTerminalJobs(fx.stack.databaseUrl, more, 30_000);
      expect([...after.values()].filter((j) => j.status !== 'succeeded' || j.terminalEvents !== 1).map(jobSummary)).toEqual([]);

      await fx.expectCleanStop(fx.worker);
    }),
  90_000);
});
