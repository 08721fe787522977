import { readJobLedger, waitUntil } from '@gantry/testing';
import { expectEachSucceededOnce, jobSummary, useProcessStack } from './process-fixture';

/**
 * The only worker of the fleet gets SIGTERM while it runs jobs and others wait, exits 0 within its
 * grace period, and a process supervisor (systemd, Kubernetes, compose `restart:`) starts it again:
 * every job still ends `succeeded` exactly once, whether the stopping worker finished it or handed
 * it back and the restarted one ran it. None is lost, none runs to success twice. Real processes.
 */

/** Time a stopping worker may take beyond its grace period to close connections and exit. */
const EXIT_SLACK_MS = 5000;
const GRACE_MS = 1500;

describe('SIGTERM to the only worker, then a supervisor restart (real processes)', () => {
  const fx = useProcessStack('sigterm-restart', async ({ startSimsAndWorker }) =>
    startSimsAndWorker([{ name: 'sim0', stepMs: 25 }, { name: 'sim1', stepMs: 25 }], {
      GANTRY_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      GANTRY_LOCK_DURATION_MS: '5000',
      GANTRY_STALLED_INTERVAL_MS: '1000',
      GANTRY_MAX_ATTEMPTS: '4',
    }),
  );

  it('loses no job and duplicates none', () =>
    fx.procs.guard(async () => {
      // Short jobs (finished within the grace) and long ones (handed back), mixed in the queue.
      const short = await fx.submit(4, 10, 0); // ~0.25 s of sampling
      const long = await fx.submit(4, 240, 100); // ~6 s: far longer than the grace period
      const ids = [...short, ...long];

      // A long job renders (it cannot finish within the grace period) while others still wait.
      const running = await waitUntil(async () => {
        const jobs = [...(await readJobLedger(fx.stack.databaseUrl, ids)).values()];
        const longRunning = jobs.filter((j) => long.includes(j.id) && j.status === 'running');
        return longRunning.length > 0 && jobs.some((j) => j.status === 'queued') ? longRunning : undefined;
      }, 60_000, 25);

      const stop = await fx.worker.terminate(GRACE_MS + EXIT_SLACK_MS + 10_000);
      expect({ forced: stop.forced, code: stop.code, signal: stop.signal, withinGrace: stop.elapsedMs < GRACE_MS + EXIT_SLACK_MS }).toEqual({
        forced: false,
        code: 0,
        signal: null,
        withinGrace: true,
      });

      // While no worker runs, nothing is left half-done: every job is queued (handed back, or never
      // taken) or finished; none is stuck as dispatched/running.
      const between = [...(await readJobLedger(fx.stack.databaseUrl, ids)).values()];
      expect(between.filter((j) => !['queued', 'succeeded'].includes(j.status)).map(jobSummary)).toEqual([]);
      expect(between.filter((j) => running.some((r) => r.id === j.id) && j.status === 'queued').length).toBeGreaterThan(0);

      await fx.worker.restart();
      const { jobs } = await fx.waitForJobs(ids, 90_000);
      expectEachSucceededOnce(jobs);
      // A handed-back job went back to `queued` once and succeeded in a later attempt.
      const handedBack = jobs.filter((j) => j.states.some((s, i) => s.status === 'queued' && i > 0));
      expect(handedBack.length).toBeGreaterThan(0);
      for (const j of handedBack) expect({ id: j.id, attempts: j.attempts >= 2 }).toEqual({ id: j.id, attempts: true });

      await fx.expectQuiet();
      await fx.expectCleanStop(fx.worker, 10_000 + EXIT_SLACK_MS);
    }),
  180_000);
});
