import { startGpuSim } from '@gantry/gpu-sim';
import { apiClient, startStack, waitUntil, type GpuSim, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * The fleet seen from a running worker: health probes and the circuit breaker against a gpu-sim
 * that goes away and comes back, and backends registered through the API picked up and used.
 */
describe('fleet health and registry (running worker)', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  const extraSims: GpuSim[] = [];
  beforeAll(async () => {
    stack = await startStack({
      gpus: 1,
      workerEnv: {
        GANTRY_HEALTH_INTERVAL_MS: '100',
        GANTRY_HEALTH_TIMEOUT_MS: '2000',
        GANTRY_REGISTRY_REFRESH_MS: '50',
        GANTRY_BREAKER_FAILURES: '3',
        GANTRY_BREAKER_COOLDOWN_MS: '1000',
        GANTRY_SLOT_WAIT_MS: '100',
      },
    });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterAll(async () => {
    await Promise.allSettled(extraSims.map((s) => s.close()));
    await stack.close();
  });

  async function newSim(port = 0): Promise<GpuSim> {
    const sim = await startGpuSim({ port, host: '127.0.0.1', stepMs: 2, name: `extra-${port}` });
    extraSims.push(sim);
    return sim;
  }

  const view = async (id: string) => (await admin('GET', `/api/v1/backends/${id}`)).body;
  const stateOf = (id: string, wanted: string, timeoutMs = 10_000) =>
    waitUntil(async () => {
      const v = await view(id);
      return v.state === wanted ? v : undefined;
    }, timeoutMs, 20);
  const finished = (jobId: string) =>
    waitUntil(async () => {
      const job = (await admin('GET', `/api/v1/jobs/${jobId}`)).body;
      return ['succeeded', 'failed', 'canceled'].includes(job.status) ? job : undefined;
    }, 20_000);

  it('a stopped backend turns unhealthy, then open after N failures; back up, it is healthy after the cooldown probe', async () => {
    const sim = await newSim();
    const port = sim.port;
    expect((await admin('POST', '/api/v1/backends', { id: 'flaky', url: sim.url })).status).toBe(201);
    await stateOf('flaky', 'healthy');

    await sim.close();
    const unhealthy = await stateOf('flaky', 'unhealthy');
    expect(unhealthy.breaker).toBe('closed');
    expect(unhealthy.consecutiveFailures).toBeGreaterThanOrEqual(1);
    expect(unhealthy.lastError).toMatch(/system_stats/);

    const open = await stateOf('flaky', 'open');
    expect(open.breaker).toBe('open');
    expect(open.consecutiveFailures).toBe(3);
    expect(Date.parse(open.openUntil)).toBeGreaterThan(Date.now());
    // Nobody probes during the cooldown: the count stays put while the monitor runs its rounds
    // (it probes sim0 each round: wait for two of them rather than for a guessed time).
    const rounds = new Set<string>();
    await waitUntil(async () => {
      rounds.add((await view('sim0')).lastProbeAt);
      return rounds.size >= 3 ? true : undefined;
    }, 30_000, 20);
    expect((await view('flaky')).consecutiveFailures).toBe(3);

    await newSim(port);
    const healthy = await stateOf('flaky', 'healthy');
    expect(healthy).toMatchObject({ breaker: 'closed', consecutiveFailures: 0, lastError: null, openUntil: null });
    // It reopened no earlier than the cooldown allowed.
    expect(Date.parse(healthy.lastOkAt)).toBeGreaterThanOrEqual(Date.parse(open.openUntil));
  });

  it('serves a backend added through the API: a job only it can run succeeds on it', async () => {
    const sim = await newSim();
    const created = await admin('POST', '/api/v1/backends', { id: 'late-gpu', url: sim.url, tags: ['only-late'] });
    expect(created.status).toBe(201);
    await stateOf('late-gpu', 'healthy'); // probed by the worker's monitor: the registry has it

    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }), requirements: { tags: ['only-late'] } })).body;
    const done = await finished(job.id);
    expect(done).toMatchObject({ status: 'succeeded', backend: 'late-gpu' });
    expect(done.artifacts.length).toBeGreaterThan(0);
  });

  it('sends no new job to a draining backend until it is undrained', async () => {
    // The flag, not the one-word state: a probe that fails under load would show `unhealthy`
    // first, and a draining backend that is down shows its health problem (docs/backends.md).
    expect((await admin('POST', '/api/v1/backends/late-gpu/drain')).body.draining).toBe(true);
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }), requirements: { tags: ['only-late'] } })).body;
    // The worker takes its queue entry, finds no slot it may use and hands it back: wait until it
    // did so three times (BullMQ counts the takes) rather than for a guessed time.
    await waitUntil(async () => ((await stack.apiResources.deps.queue.getJob(job.id))?.attemptsStarted ?? 0) >= 3 ? true : undefined, 30_000, 20);
    expect((await admin('GET', `/api/v1/jobs/${job.id}`)).body).toMatchObject({ status: 'queued', attempts: 0 });

    await admin('POST', '/api/v1/backends/late-gpu/undrain');
    expect(await finished(job.id)).toMatchObject({ status: 'succeeded', backend: 'late-gpu' });
  });

  it('stops serving a deleted backend, and never leases it to a job that chose it before', async () => {
    const fleet = stack.worker!.deps.fleet;
    const chosenEarlier = fleet.all().filter((b) => b.id === 'late-gpu');
    expect(chosenEarlier).toHaveLength(1);
    expect((await admin('DELETE', '/api/v1/backends/late-gpu')).status).toBe(204);
    const served = () => fleet.all().map((b) => b.id);
    await waitUntil(async () => (served().includes('late-gpu') ? undefined : true));
    expect(served().sort()).toEqual(['flaky', 'sim0']);
    // A job whose candidate list was made before the delete (it waited for a slot) gets no lease there.
    expect(await fleet.tryAcquire('any-tenant', { nodeTypes: [] }, chosenEarlier, null, 10)).toMatchObject({ lease: null });
  });
});
