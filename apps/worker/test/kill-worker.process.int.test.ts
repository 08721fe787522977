import { backendEntry, backendList, liveLeases, readJobLedger, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { expectEachSucceededOnce, jobSummary, useProcessStack } from './process-fixture';

/**
 * kill -9 of a worker process in the middle of 50 jobs (real processes: two workers, three
 * gpu-sims; the API runs in the test process). Black-box: HTTP API, signals, database and Redis
 * reads only.
 *
 * Topology: worker A uses sim0 (only A) and sim1 (shared), worker B uses sim1 and sim2 (only B).
 * Whatever is dispatched/running on sim0 when A dies is certainly A's, so those jobs must show a
 * retry; sim1 makes A's dead slot leases matter to B (least-connections across workers).
 */
const JOBS = 50;
const CAPACITY = 2;
const STEP_MS = 25;
// Long enough (1 s a job) that a poll of the ledger under load still sees the fleet mid-run.
const STEPS = 40;
// sim0 runs 8× slower (8 s a job): a job seen running there is still running when the kill lands,
// however long a loaded machine takes between the poll and the signal.
const SIM0_STEP_MS = STEP_MS * 8;

/** On top of the fixture's workerEnv() defaults (lease TTL, retry base, progress interval, shutdown grace). */
const workerSettings = {
  // BullMQ returns a dead worker's jobs after its lock expires and a stalled check runs (30 s each
  // by default): both must be configurable for this test to stay short. 5 s keeps a busy but
  // live worker (BullMQ renews locks every half duration) from being taken for dead on a loaded box.
  GANTRY_LOCK_DURATION_MS: '5000',
  GANTRY_STALLED_INTERVAL_MS: '1000',
  GANTRY_MAX_ATTEMPTS: '5',
  GANTRY_BACKEND_LOST_MS: '1500',
  // Ownership is decided on the PostgreSQL heartbeat (20 s stale by default): short here too.
  GANTRY_HEARTBEAT_MS: '500',
  // A worker without sim0 leaves sim0's lost jobs to worker A for 3 stale periods: long enough for
  // A's restart on a loaded machine. A's own jobs need no wait (it reclaims them under its id).
  GANTRY_JOB_STALE_MS: '10000',
  GANTRY_RECONCILE_INTERVAL_MS: '1000',
};

describe('a worker killed with SIGKILL during 50 jobs (real processes)', () => {
  const fx = useProcessStack('kill-worker', async ({ procs, workerEnv }) => {
    const sims = await Promise.all([0, 1, 2].map((i) => procs.startGpuSim({ name: `sim${i}`, stepMs: i === 0 ? SIM0_STEP_MS : STEP_MS })));
    const base = workerEnv(workerSettings);
    // Backends are fleet-wide; tags keep sim0 to A and sim2 to B, sim1 is served by both.
    const sim0 = backendEntry(sims[0]!, { capacity: CAPACITY, tags: ['node-a'] });
    const sim1 = backendEntry(sims[1]!, { capacity: CAPACITY, tags: ['node-a', 'node-b'] });
    const sim2 = backendEntry(sims[2]!, { capacity: CAPACITY, tags: ['node-b'] });
    const [workerA, workerB] = await Promise.all([
      procs.startWorker({ name: 'worker-a', env: { ...base, GANTRY_WORKER_TAGS: 'node-a', GANTRY_BACKENDS: backendList([sim0, sim1]) } }),
      procs.startWorker({ name: 'worker-b', env: { ...base, GANTRY_WORKER_TAGS: 'node-b', GANTRY_BACKENDS: backendList([sim1, sim2]) } }),
    ]);
    return { workerA, workerB };
  });

  it('runs every job to exactly one success, retries the dead worker\'s jobs and leaks no slot', () =>
    fx.procs.guard(async () => {
      const ids = await fx.submit(JOBS, STEPS);

      // A has work on its own backend, and some jobs are done already: the fleet is busy.
      await waitUntil(async () => {
        const ledger = await readJobLedger(fx.stack.databaseUrl, ids);
        const jobs = [...ledger.values()];
        const onSim0 = jobs.filter((j) => j.backendId === 'sim0' && ['dispatched', 'running'].includes(j.status));
        const done = jobs.filter((j) => j.status === 'succeeded').length;
        const waiting = jobs.filter((j) => j.status === 'queued').length;
        // Loose on purpose: on a loaded machine the mix of done/waiting drifts; what matters is that
        // the worker to be killed holds running work while other jobs still wait.
        return onSim0.length > 0 && done >= 2 && waiting >= 5 ? true : undefined;
      }, 60_000, 25);

      const killedAt = Date.now();
      const exit = await fx.workerA.kill();
      expect(exit.signal).toBe('SIGKILL');

      // Nobody else can touch sim0: what is in flight there now was A's and is orphaned.
      const atKill = await readJobLedger(fx.stack.databaseUrl, ids);
      const inFlightAtKill = [...atKill.values()].filter((j) => ['dispatched', 'running'].includes(j.status));
      const orphansOnSim0 = inFlightAtKill.filter((j) => j.backendId === 'sim0').map((j) => j.id);
      expect(orphansOnSim0.length).toBeGreaterThan(0);
      // The lease check below sees real keys: A's slots on sim0 are still held (until the TTL).
      expect((await liveLeases(TEST_REDIS_URL, fx.stack.prefix))[`${fx.stack.prefix}:lease:sim0`]).toBeGreaterThanOrEqual(orphansOnSim0.length);

      // A replacement with the same configuration (its predecessor's leases block it until they expire).
      await new Promise((r) => setTimeout(r, 500));
      await fx.workerA.restart();

      const { ledger, jobs } = await fx.waitForJobs(ids, 75_000);

      // Every job succeeded exactly once, with the outputs of exactly one attempt.
      expectEachSucceededOnce(jobs);
      expect(jobs.filter((j) => j.attempts < 1).map(jobSummary)).toEqual([]);

      // The dead worker's prompts on its own backend were not run twice: a prompt sim0 had (running
      // or finished) was collected from there, with no new dispatch; only a prompt that never
      // reached sim0 ran again, after a `queued` event that says WORKER_LOST.
      const running = new Set(inFlightAtKill.filter((j) => j.status === 'running').map((j) => j.id));
      for (const id of orphansOnSim0) {
        const j = ledger.get(id)!;
        const firstDispatch = j.states.findIndex((s) => s.status === 'dispatched' && s.backend === 'sim0');
        const after = j.states.slice(firstDispatch + 1);
        const requeue = after.find((s) => s.status === 'queued');
        if (running.has(id) || !requeue) {
          expect({ id, attempts: j.attempts, requeued: Boolean(requeue), backend: j.backendId }).toEqual({ id, attempts: 1, requeued: false, backend: 'sim0' });
        } else {
          expect({ id, code: requeue.errorCode }).toEqual({ id, code: 'WORKER_LOST' });
        }
      }
      // Only jobs that were in flight when A died needed a retry.
      const inFlightIds = new Set(inFlightAtKill.map((j) => j.id));
      expect(jobs.filter((j) => j.attempts > 1 && !inFlightIds.has(j.id)).map(jobSummary)).toEqual([]);

      // Nothing left in flight: no live slot lease (A's expire after the TTL), no queue job, no open row.
      await fx.expectQuiet();
      // Bounded: all of it well within the test's time.
      expect(Date.now() - killedAt).toBeLessThan(75_000);

      // Workers stop cleanly when asked; no process is left behind.
      const stops = await Promise.all([fx.workerA, fx.workerB].map((w) => w.terminate(10_000)));
      expect(stops.map((s) => ({ forced: s.forced, code: s.code }))).toEqual([
        { forced: false, code: 0 },
        { forced: false, code: 0 },
      ]);
      const { leftovers } = await fx.procs.stopAll();
      expect(leftovers).toEqual([]);
      expect(fx.procs.leftovers()).toEqual([]);
    }),
  150_000);
});
