import { startGpuSim } from '@gantry/gpu-sim';
import { apiClient, startStack, waitUntil, type GpuSim, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** Mixed GPUs: jobs go where they fit, and an out-of-memory retry goes to a bigger GPU. */
describe('VRAM-aware placement', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  const sims: GpuSim[] = [];
  beforeAll(async () => {
    stack = await startStack({ gpus: 0, worker: false });
    for (const [name, vramMb] of [['small0', 8192], ['small1', 8192], ['small2', 8192], ['big', 49152]] as const) {
      sims.push(await startGpuSim({ port: 0, name, stepMs: 2, vramMb }));
    }
    const worker = await stack.startWorker({
      GANTRY_BACKENDS: sims.map((s, i) => `${['small0', 'small1', 'small2', 'big'][i]}=${s.url}`).join(' '),
      GANTRY_HEALTH_INTERVAL_MS: '100',
      // Not the default min(interval, 5 s): a loaded machine answers a probe in more than 100 ms.
      GANTRY_HEALTH_TIMEOUT_MS: '2000',
      GANTRY_REGISTRY_REFRESH_MS: '100',
    });
    admin = apiClient(stack.url, stack.adminKey);
    // Wait until the probes have learned every GPU's VRAM and the worker has taken it in.
    await waitUntil(async () => {
      const list = (await admin('GET', '/api/v1/backends')).body.items as any[];
      return list.length === 4 && list.every((b) => b.probe.vram.totalMb > 0) ? true : undefined;
    });
    const fleet = worker.deps.fleet;
    await waitUntil(async () => (['small0', 'small1', 'small2', 'big'].every((id) => (fleet.vramOf(id) ?? 0) > 0) ? true : undefined), 30_000, 20);
  });
  afterAll(async () => {
    await stack.close();
    await Promise.all(sims.map((s) => s.close()));
  });

  const finished = (id: string) =>
    jobEnd(admin, id, 30_000);

  it('places a job that states its VRAM only on a GPU that fits it', async () => {
    for (let i = 0; i < 3; i++) {
      const id = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width: 64, height: 64 }), requirements: { vramMb: 20_000 } })).body.id;
      expect(await finished(id)).toMatchObject({ status: 'succeeded', backend: 'big', attempts: 1 });
    }
    const tooBig = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow(), requirements: { vramMb: 100_000 } });
    expect(tooBig.status).toBe(422);
    expect(tooBig.body.code).toBe('NO_ELIGIBLE_BACKEND');
  });

  it('retries an out-of-memory job on a GPU with more VRAM', async () => {
    // 2048x1024 needs ~10 GiB in the simulator: it runs out of memory on the 8 GiB GPUs.
    for (let i = 0; i < 2; i++) {
      const id = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width: 2048, height: 1024, seed: i }) })).body.id;
      const job = await finished(id);
      expect(job).toMatchObject({ status: 'succeeded', backend: 'big' });
      // Without the preference, a retry could land on another 8 GiB GPU and fail again.
      expect(job.attempts).toBeLessThanOrEqual(2);
    }
  });
});
