import { BackendHealth, type HealthSnapshot } from '@gantry/fleet';
import { TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { Redis } from 'ioredis';
import { defaultWorkflow } from '../../api/test/fixtures';
import { expectEachSucceededOnce, useProcessStack } from './process-fixture';

/** Nodes of the huge workflow (issue 11: a 3,000-node workflow opened the breakers). */
const NODES = 3000;
/** The sim's validation cost per node (fault `validateMsPerNode`): 3000 nodes hold its event loop for 6 s. */
const VALIDATE_MS_PER_NODE = 2;
const PROBE_TIMEOUT_MS = 500;
const BREAKER_FAILURES = 2;

/**
 * Issue 11: "a backend's health probe is never starved by one job". A real ComfyUI validates
 * `POST /prompt` in its event loop, so while it takes a huge workflow it answers no health probe;
 * those probes time out, and two in a row used to open the breaker, leaving the backend unused
 * for a whole cooldown. Real processes: a gpu-sim whose validation holds its event loop for 6 s
 * on the huge workflow (12 probe timeouts), and a worker probing it every 100 ms with a breaker
 * that opens after 2 failures and would stay open for 10 minutes (so the jobs after the huge one
 * could not run). The huge job and the ones after it all succeed, and the breaker never opens.
 */
describe('a huge workflow does not starve the health probes (real processes)', () => {
  const fx = useProcessStack('huge-workflow-health', ({ startSimsAndWorker }) =>
    startSimsAndWorker([{ name: 'sim0', stepMs: 10, faults: { validateMsPerNode: VALIDATE_MS_PER_NODE } }], {
      GANTRY_HEALTH_INTERVAL_MS: '100',
      GANTRY_HEALTH_TIMEOUT_MS: String(PROBE_TIMEOUT_MS),
      GANTRY_BREAKER_FAILURES: String(BREAKER_FAILURES),
      GANTRY_BREAKER_COOLDOWN_MS: '600000',
      LOG_LEVEL: 'info',
    }),
  );

  it('keeps the backend healthy while it validates a 3000-node workflow, and runs the jobs after it', () =>
    fx.procs.guard(async () => {
      const redis = new Redis(TEST_REDIS_URL);
      const health = new BackendHealth(redis, { prefix: fx.stack.prefix });
      const seen: HealthSnapshot[] = [];
      let watching = true;
      // Every state the shared health goes through, until the end of the test (bounded by it).
      const watcher = (async () => {
        while (watching) {
          const { snapshot } = await health.store.read('sim0');
          if (snapshot) seen.push(snapshot);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      try {
        await expectHealthy(health);
        const huge: Record<string, unknown> = defaultWorkflow({ steps: 2, width: 64, height: 64 });
        // Unlinked nodes: validated by the backend, never executed (nothing needs their outputs).
        for (let i = Object.keys(huge).length; i < NODES; i++) huge[`extra${i}`] = { class_type: 'CLIPTextEncode', inputs: { text: `prompt ${i}`, clip: ['4', 1] } };
        expect(Object.keys(huge)).toHaveLength(NODES);
        const submitted = await fx.admin('POST', '/api/v1/jobs', { workflow: huge });
        expect(submitted.status).toBe(202);
        const others = await fx.submit(3, 3, 100);

        const { jobs } = await fx.waitForJobs([submitted.body.id as string, ...others], 90_000);
        expectEachSucceededOnce(jobs);
        expect(jobs.map((j) => ({ attempts: j.attempts, backend: j.backendId }))).toEqual(jobs.map(() => ({ attempts: 1, backend: 'sim0' })));

        // Probes did time out during the validation (so this test exercises the stall)...
        const notCounted = fx.worker.logText().match(/probe timed out while the backend was accepting a prompt/g) ?? [];
        expect(notCounted.length).toBeGreaterThanOrEqual(2);
        // ...and none of them counted: the breaker never opened, the backend never looked down.
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.filter((s) => s.phase === 'open' || s.probeFailures >= BREAKER_FAILURES)).toEqual([]);
        await expectHealthy(health);
        await fx.expectQuiet();
      } finally {
        watching = false;
        await watcher;
        await redis.quit();
      }
    }),
  120_000);
});

/** Waits (up to 15 s) until sim0's shared health says healthy. */
async function expectHealthy(health: BackendHealth): Promise<void> {
  await waitUntil(async () => ((await health.views([{ id: 'sim0' }])).get('sim0')?.state === 'healthy' ? true : undefined), 15_000, 50);
}
