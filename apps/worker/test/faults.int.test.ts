import { apiClient, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import { enqueueRender } from '@gantry/queue';
import { defaultWorkflow } from '../../api/test/fixtures';

/** How jobs end when backends misbehave: retried elsewhere, failed with a clear code, recovered. */
describe('worker fault handling', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeEach(async () => {
    stack = await startStack({ gpus: 2, stepMs: 5, workerEnv: { GANTRY_MAX_ATTEMPTS: '3' } });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterEach(() => stack.close());

  const finalState = (id: string, ms = 20_000) =>
    jobEnd(admin, id, ms);

  async function slotsInUse(): Promise<number> {
    const counts = await stack.worker!.deps.fleet.leases.inFlight(['sim0', 'sim1']);
    return counts.sim0! + counts.sim1!;
  }

  /** Every slot back: a job's lease goes in its attempt's `finally`, just after its terminal state is visible. */
  async function slotsFreed(): Promise<void> {
    await waitUntil(async () => ((await slotsInUse()) === 0 ? true : undefined), 15_000, 10);
  }

  it('retries on another backend when its backend dies mid-job', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 400 }) })).body;
    const running = await waitUntil(async () => {
      const res = await admin('GET', `/api/v1/jobs/${job.id}`);
      return res.body.status === 'running' ? res.body : undefined;
    });
    const dead = running.backend as string;
    await stack.sims[dead === 'sim0' ? 0 : 1]!.close();

    const done = await finalState(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.backend).not.toBe(dead);
    const states = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items
      .filter((e: any) => e.event.type === 'state')
      .map((e: any) => `${e.event.status}@${e.event.backend ?? '-'}`);
    expect(states).toEqual(
      expect.arrayContaining([`dispatched@${dead}`, 'queued@-', `succeeded@${done.backend}`]),
    );
    await slotsFreed();
  });

  it('retries out-of-memory errors and fails with OUT_OF_MEMORY when every attempt runs out', async () => {
    stack.sims.forEach((s) => s.setFaults({ oom: true }));
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 3 }) })).body;
    const done = await finalState(job.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('OUT_OF_MEMORY');
    expect(done.attempts).toBe(3);
    await slotsFreed();
  });

  it('fails a job that outlives its timeout and frees the backend', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 10_000 }), timeoutSeconds: 1 })).body;
    const done = await finalState(job.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('JOB_TIMEOUT');
    expect(done.attempts).toBe(1);
    const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    expect((await finalState(next.id)).status).toBe('succeeded');
    await slotsFreed();
  });

  it('recovers a job left running by a worker that died', async () => {
    const db = stack.apiResources.deps.db;
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    await finalState(job.id);
    // Make it look like a worker took it, dispatched it to sim0 and died: the row says running,
    // and BullMQ hands the job out again (as its stalled-job check does).
    await db.job.update({
      where: { id: job.id },
      data: { status: 'running', backendId: 'sim0', promptId: '3f0c8a4e-1d7e-4a9b-9f5e-1c2b3d4e5f60', finishedAt: null },
    });
    await stack.apiResources.deps.queue.remove(job.id);
    await enqueueRender(stack.apiResources.deps.queue, { jobId: job.id, tenantId: (await db.job.findUniqueOrThrow({ where: { id: job.id } })).tenantId }, 0);
    const done = await waitUntil(async () => {
      const res = await admin('GET', `/api/v1/jobs/${job.id}`);
      return res.body.status === 'succeeded' && res.body.attempts === 2 ? res.body : undefined;
    });
    expect(done.artifacts).toHaveLength(1);
    const statuses = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items
      .filter((e: any) => e.event.type === 'state')
      .map((e: any) => e.event.status);
    expect(statuses.slice(-4)).toEqual(['queued', 'dispatched', 'running', 'succeeded']);
    // The slot taken while its backend was asked (the prompt was not there) went back before the rerun took one.
    await waitUntil(async () => ((await slotsInUse()) === 0 ? true : undefined), 10_000, 20);
  });

  it('fails a job that makes every backend answer 5xx as POISON_JOB, striking only the first backend', async () => {
    stack.sims.forEach((s) => s.setFaults({ crashPromptPrefix: 'poison' }));
    const workflow = defaultWorkflow({ steps: 2 });
    const save = Object.values(workflow).find((n) => n.class_type === 'SaveImage')!;
    save.inputs.filename_prefix = 'poison-job';
    const job = (await admin('POST', '/api/v1/jobs', { workflow })).body;
    const done = await finalState(job.id);
    expect(done.status).toBe('failed');
    expect(done.error.code).toBe('POISON_JOB');
    expect(done.error.details.backends.sort()).toEqual(['sim0', 'sim1']);
    expect(done.attempts).toBe(2);
    // Only the first backend took the blame (a strike); the second failure was the job's.
    const struck = ((await admin('GET', '/api/v1/backends')).body.items as { consecutiveFailures: number }[]).map((b) => b.consecutiveFailures);
    expect(Math.min(...struck)).toBe(0);
    // The backends are fine for everything else: a normal job still runs, and neither breaker opened.
    const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    expect((await finalState(next.id)).status).toBe('succeeded');
    const backends = (await admin('GET', '/api/v1/backends')).body.items as { id: string; breaker: string; consecutiveFailures: number }[];
    expect(backends.map((b) => b.breaker)).toEqual(['closed', 'closed']);
  });

  it('shows tenants the node, exception and message without host paths; operators also see the traceback', async () => {
    stack.sims.forEach((s) => s.setFaults({ crashAfterSteps: 1 }));
    const tenant = apiClient(stack.url, (await admin('POST', '/api/v1/api-keys', { tenant: 'studio-x', scopes: ['submit', 'read'] })).body.key);
    const job = (await tenant('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 3 }) })).body;
    const seen = await jobEnd(tenant, job.id);
    expect(seen.error.code).toBe('EXECUTION_ERROR');
    expect(seen.error.details).toEqual(expect.objectContaining({ nodeType: 'KSampler', exceptionType: expect.any(String) }));
    const events = (await tenant('GET', `/api/v1/jobs/${job.id}/events`)).body;
    const listed = (await tenant('GET', '/api/v1/jobs')).body;
    for (const body of [seen, events, listed]) {
      expect(JSON.stringify(body)).not.toContain('/opt/ComfyUI');
      expect(JSON.stringify(body)).not.toContain('traceback');
    }
    // An operator key (admin) of another tenant cannot read the job, but the operator's view of the
    // stored row carries the held-back detail; GANTRY_ADMIN_KEY's tenant reads its own jobs that way.
    const row = await stack.apiResources.deps.db.job.findUniqueOrThrow({ where: { id: job.id } });
    expect(JSON.stringify(row.errorInternal)).toContain('/opt/ComfyUI/nodes.py');
    const own = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 3, seed: 5 }) })).body;
    const failed = await finalState(own.id);
    expect(failed.error.internal.traceback.join('')).toContain('/opt/ComfyUI/nodes.py');
  });
});
