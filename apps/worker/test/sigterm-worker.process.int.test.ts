import { backendEntry } from '@gantry/testing';
import { jobSummary, useProcessStack } from './process-fixture';

/**
 * SIGTERM to a worker with running jobs: it stops taking jobs from the queue, finishes its
 * in-flight work or hands it back within GANTRY_SHUTDOWN_GRACE_MS, and exits; no job is lost.
 * Real processes: worker A renders on sim-a only, worker B on sim-b only (one worker per GPU
 * node: backends are registered fleet-wide, GANTRY_WORKER_TAGS keeps each to its node), so
 * anything dispatched to sim-a was dispatched by A.
 */

/** Time a stopping worker may take beyond its grace period to close connections and exit. */
const EXIT_SLACK_MS = 3000;

describe('a worker stopped with SIGTERM while it runs jobs (real processes)', () => {
  const fx = useProcessStack('sigterm-worker', async ({ procs, workerEnv }) => {
    const [simA, simB] = await Promise.all([procs.startGpuSim({ name: 'sim-a', stepMs: 25 }), procs.startGpuSim({ name: 'sim-b', stepMs: 25 })]);
    const base = workerEnv({
      GANTRY_LOCK_DURATION_MS: '5000',
      GANTRY_STALLED_INTERVAL_MS: '1000',
      GANTRY_MAX_ATTEMPTS: '4',
      GANTRY_BACKEND_LOST_MS: '1500',
    });
    const [workerA, workerB] = await Promise.all([
      procs.startWorker({
        name: 'worker-a',
        env: { ...base, GANTRY_WORKER_TAGS: 'node-a', GANTRY_BACKENDS: backendEntry(simA, { tags: ['node-a'] }), GANTRY_SHUTDOWN_GRACE_MS: '10000' },
      }),
      procs.startWorker({
        name: 'worker-b',
        env: { ...base, GANTRY_WORKER_TAGS: 'node-b', GANTRY_BACKENDS: backendEntry(simB, { tags: ['node-b'] }), GANTRY_SHUTDOWN_GRACE_MS: '10000' },
      }),
    ]);
    return { workerA, workerB };
  });

  /** Waits until A's backend renders a job (past its first progress) while jobs still wait in the queue. */
  const whenARenders = (ids: string[], queuedAtLeast: number) => fx.whenRendering(ids, 'sim-a', queuedAtLeast);

  it('finishes its in-flight job within the grace period, takes no new job, and exits 0', () =>
    fx.procs.guard(async () => {
      // ~1.5 s of sampling each: well inside the 10 s grace, and long enough that a poll on a loaded
      // machine still finds A rendering.
      const ids = await fx.submit(12, 60, 0);
      const inFlight = await whenARenders(ids, 4);

      const termAt = Date.now();
      const stop = await fx.workerA.terminate(10_000 + EXIT_SLACK_MS);
      expect({ forced: stop.forced, code: stop.code, signal: stop.signal }).toEqual({ forced: false, code: 0, signal: null });
      expect(stop.elapsedMs).toBeLessThan(10_000 + EXIT_SLACK_MS);

      const { ledger, jobs } = await fx.waitForJobs(ids, 40_000);
      expect(jobs.filter((j) => j.status !== 'succeeded' || j.terminalEvents !== 1 || j.artifacts !== 1).map(jobSummary)).toEqual([]);

      // The job A was rendering was finished by A, on its backend, in its first attempt.
      const finished = ledger.get(inFlight.id)!;
      expect({ status: finished.status, attempts: finished.attempts, dispatchedTo: finished.dispatchedTo }).toEqual({
        status: 'succeeded',
        attempts: 1,
        dispatchedTo: ['sim-a'],
      });
      // After SIGTERM, A took nothing new from the queue: no dispatch to its backend started later.
      const lateOnA = jobs.filter((j) => j.states.some((s) => s.status === 'dispatched' && s.backend === 'sim-a' && s.at.getTime() > termAt + 100));
      expect(lateOnA.map(jobSummary)).toEqual([]);
      // ... and B ran everything that was still queued.
      expect(jobs.filter((j) => j.attempts !== 1).map(jobSummary)).toEqual([]);

      await fx.expectQuiet();
    }),
  90_000);

  it('hands back a job that outlives the grace period; it succeeds elsewhere', () =>
    fx.procs.guard(async () => {
      const graceMs = 1000;
      await fx.workerA.restart({ envPatch: { GANTRY_SHUTDOWN_GRACE_MS: String(graceMs) } });
      // ~5 s of sampling each: far longer than the grace period plus the exit slack.
      const ids = await fx.submit(2, 200, 100);
      const inFlight = await whenARenders(ids, 0);

      const termAt = Date.now();
      const stop = await fx.workerA.terminate(graceMs + EXIT_SLACK_MS + 10_000);

      const { ledger, jobs } = await fx.waitForJobs(ids, 40_000);
      expect(jobs.filter((j) => j.status !== 'succeeded' || j.terminalEvents !== 1 || j.artifacts !== 1).map(jobSummary)).toEqual([]);
      const lateOnA = jobs.filter((j) => j.states.some((s) => s.status === 'dispatched' && s.backend === 'sim-a' && s.at.getTime() > termAt + 100));
      expect(lateOnA.map(jobSummary)).toEqual([]);

      // A exited within its grace period (plus time to close connections) and did not finish the
      // job itself: the job came back and ran to the end on B's backend, as a second attempt.
      const handedBack = ledger.get(inFlight.id)!;
      expect({
        exitedCleanly: !stop.forced && stop.code === 0,
        exitedWithinGrace: stop.elapsedMs < graceMs + EXIT_SLACK_MS,
        attempts: handedBack.attempts,
        dispatchedTo: handedBack.dispatchedTo,
      }).toEqual({
        exitedCleanly: true,
        exitedWithinGrace: true,
        attempts: 2,
        dispatchedTo: ['sim-a', 'sim-b'],
      });

      await fx.expectQuiet();
      await fx.expectCleanStop(fx.workerB, 10_000 + EXIT_SLACK_MS);
    }),
  90_000);
});
