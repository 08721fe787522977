import { jobSummary, useProcessStack } from './process-fixture';

/**
 * A backend whose sampler crashes mid-job (gpu-sim fault crashAfterSteps: a RuntimeError after 3
 * steps, reported by ComfyUI as `execution_error`). docs/api.md: only a lost backend and out of
 * memory are retried ("queued ← dispatched: retry: backend lost, out of memory"); EXECUTION_ERROR
 * is a job failure code without a retry. So every job that runs on the crashing backend fails
 * with EXECUTION_ERROR after one attempt, every other job succeeds, and each ends exactly once.
 * Real processes: one worker, two gpu-sims (sim0 crashes, set from the start through
 * GPU_SIM_FAULTS); the API runs in the test process.
 */
describe('a backend that crashes mid-job (real processes)', () => {
  const fx = useProcessStack('crash-mid-job', ({ startSimsAndWorker }) =>
    startSimsAndWorker(
      [
        { name: 'sim0', stepMs: 20, faults: { crashAfterSteps: 3 } },
        { name: 'sim1', stepMs: 20 },
      ],
      { GANTRY_MAX_ATTEMPTS: '3', GANTRY_PROGRESS_INTERVAL_MS: '0' },
    ),
  );

  it('fails the jobs that crashed with EXECUTION_ERROR (no retry), runs the rest, ends each exactly once', () =>
    fx.procs.guard(async () => {
      const ids = await fx.submit(12, 10);
      const { jobs } = await fx.waitForJobs(ids, 40_000);

      expect(jobs.filter((j) => j.terminalEvents !== 1).map(jobSummary)).toEqual([]);
      const crashed = jobs.filter((j) => j.dispatchedTo.includes('sim0'));
      const healthy = jobs.filter((j) => !j.dispatchedTo.includes('sim0'));
      expect(crashed.length).toBeGreaterThan(0);
      expect(healthy.length).toBeGreaterThan(0);

      // On the crashing backend: failed, EXECUTION_ERROR, one attempt, no retry, no outputs.
      expect(crashed.map((j) => ({ id: j.id, status: j.status, error: j.errorCode, attempts: j.attempts, dispatches: j.dispatchedTo, artifacts: j.artifacts }))).toEqual(
        crashed.map((j) => ({ id: j.id, status: 'failed', error: 'EXECUTION_ERROR', attempts: 1, dispatches: ['sim0'], artifacts: 0 })),
      );
      // Elsewhere: succeeded once with its output.
      expect(healthy.filter((j) => j.status !== 'succeeded' || j.attempts !== 1 || j.artifacts !== 1).map(jobSummary)).toEqual([]);

      // The API reports the failure as documented, and the job did crash mid-way (it made progress).
      const one = crashed[0]!;
      const res = await fx.admin('GET', `/api/v1/jobs/${one.id}`);
      expect(res.body).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'EXECUTION_ERROR', message: expect.any(String) } });
      const events = (await fx.admin('GET', `/api/v1/jobs/${one.id}/events`)).body.items as { event: { type: string; value?: number; status?: string } }[];
      expect(events.some((e) => e.event.type === 'progress' && (e.event.value ?? 0) >= 1)).toBe(true);
      expect(events.filter((e) => e.event.type === 'state').at(-1)?.event.status).toBe('failed');

      await fx.expectQuiet();
      await fx.expectCleanStop(fx.worker);
    }),
  90_000);
});
