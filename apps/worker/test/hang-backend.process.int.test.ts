import { waitUntil } from '@gantry/testing';
import { expectEachSucceededOnce, useProcessStack } from './process-fixture';

/**
 * A backend that hangs (POST /gpu-sim/faults {hang: true}: prompts stop making progress until
 * interrupted) must not keep jobs running forever: with GANTRY_STALL_TIMEOUT_MS set, a run with no
 * progress for longer than that is interrupted on the backend, counted as a failed attempt and
 * retried on another backend, where it succeeds. Real processes: one worker, two gpu-sims.
 */
const STALL_TIMEOUT_MS = 1500;

describe('a hung backend (real processes)', () => {
  const fx = useProcessStack('hang-backend', ({ startSimsAndWorker }) =>
    startSimsAndWorker(
      [0, 1].map((i) => ({ name: `sim${i}`, stepMs: 20 })),
      { GANTRY_STALL_TIMEOUT_MS: String(STALL_TIMEOUT_MS), GANTRY_MAX_ATTEMPTS: '4' },
    ),
  );

  it('interrupts runs that stopped making progress and retries them on another backend', () =>
    fx.procs.guard(async () => {
      const hung = fx.sims[0]!;
      // ~1 s of sampling each: long enough that a poll on a loaded machine finds sim0 rendering.
      const ids = await fx.submit(10, 50);
      // Both backends are rendering; then sim0 hangs: every prompt it starts from now on stops
      // before its first sampler step, until it is interrupted.
      await fx.whenRendering(ids, 'sim0', 4);
      expect(await hung.setFaults({ hang: true })).toEqual({ hang: true });

      // Jobs keep running on sim1, and the ones stuck on sim0 come back and end there too.
      const { jobs } = await fx.waitForJobs(ids, 40_000);
      expectEachSucceededOnce(jobs);

      // Some job stalled on sim0 and was retried; nothing else causes a retry here. Every retry
      // followed a dispatch to sim0, and the job then ended on the healthy sim1.
      const stalled = jobs.filter((j) => j.dispatchedTo.length > 1);
      expect(stalled.length).toBeGreaterThan(0);
      for (const j of jobs) {
        expect({ id: j.id, attempts: j.attempts }).toEqual({ id: j.id, attempts: j.dispatchedTo.length });
      }
      expect(stalled.map((j) => ({ id: j.id, failedOn: [...new Set(j.dispatchedTo.slice(0, -1))], finalBackend: j.backendId }))).toEqual(
        stalled.map((j) => ({ id: j.id, failedOn: ['sim0'], finalBackend: 'sim1' })),
      );

      // The stalled prompts were interrupted on sim0 (a hung prompt stays there until /interrupt).
      const queue = await waitUntil(async () => {
        const q = await hung.queue();
        return q.queue_running.length === 0 && q.queue_pending.length === 0 ? q : undefined;
      }, 5000).catch(async () => hung.queue());
      expect(queue).toEqual({ queue_running: [], queue_pending: [] });

      await fx.expectQuiet();
      await fx.expectCleanStop(fx.worker);
    }),
  90_000);
});
