import { randomUUID } from 'node:crypto';
import { enqueueRender } from '@gantry/queue';
import { apiClient, registrySum, startStack, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * A run whose connection to its backend is lost (socket dropped, HTTP answering 500) fails
 * BACKEND_UNAVAILABLE while the prompt goes on there. The worker asks the backend, and follows the
 * prompt once it answers: the whole while the prompt holds the backend's slot, so no other job
 * is placed on a GPU that is still busy with it. The same holds for a lost worker's prompt that
 * another worker recovers and follows.
 */
describe('a run that lost its backend connection while the prompt goes on', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5, workerEnv: { GANTRY_BACKEND_LOST_MS: '3000' } });
  });
  afterAll(() => stack.close());

  const unanswered = (outcome: string) => registrySum(stack.worker!.deps.metrics, 'gantry_backend_lookups_unanswered_total', { outcome });
  const inFlight = async (): Promise<number> => (await stack.worker!.deps.fleet.leases.inFlight(['sim0'])).sim0 ?? 0;

  it('keeps the slot while the prompt is asked about and followed, and frees it once the job settled', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const workflow = defaultWorkflow({ steps: 4000, width: 64, height: 64 });
    for (const node of Object.values(workflow)) if (node.class_type === 'SaveImage') node.inputs.filename_prefix = 'kept-slot';
    const job = (await admin('POST', '/api/v1/jobs', { workflow })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'running' ? true : undefined), 60_000, 20);
    const sim = stack.sims[0]!;
    sim.setFaults({ httpErrorStatus: 500 });
    sim.dropSockets();

    // The run failed BACKEND_UNAVAILABLE, and the worker now asks the backend again and again.
    await waitUntil(async () => ((await unanswered('retry')) > 0 ? true : undefined), 90_000, 20);
    expect(sim.executions('kept-slot')).toHaveLength(0); // the prompt still runs there
    expect(await inFlight()).toBe(1);
    sim.clearFaults();

    const done = await jobEnd(admin, job.id, 120_000);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
    expect(sim.executions('kept-slot')).toHaveLength(1);
    expect(await unanswered('gave_up')).toBe(0);
    await waitUntil(async () => ((await inFlight()) === 0 ? true : undefined), 10_000, 20);
  }, 240_000);

  it('still ends the job at its timeout while it follows the prompt, and frees the slot', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const workflow = defaultWorkflow({ steps: 10_000, width: 64, height: 64 });
    for (const node of Object.values(workflow)) if (node.class_type === 'SaveImage') node.inputs.filename_prefix = 'followed-too-long';
    const job = (await admin('POST', '/api/v1/jobs', { workflow, timeoutSeconds: 20 })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${job.id}`)).body.status === 'running' ? true : undefined), 60_000, 20);
    const sim = stack.sims[0]!;
    const asked = await unanswered('retry');
    sim.setFaults({ httpErrorStatus: 500 });
    sim.dropSockets();
    await waitUntil(async () => ((await unanswered('retry')) > asked ? true : undefined), 90_000, 20);
    sim.clearFaults(); // the backend answers again: the prompt (50 s of steps) is followed

    const done = await jobEnd(admin, job.id, 120_000);
    expect(done).toMatchObject({ status: 'failed', error: { code: 'JOB_TIMEOUT' } });
    expect(sim.executions('followed-too-long')).toHaveLength(0); // interrupted, not run to its end
    await waitUntil(async () => ((await inFlight()) === 0 ? true : undefined), 10_000, 20);
  }, 240_000);

  it("counts a lost worker's prompt in its backend's slots while the recovering worker follows it", async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const db = stack.apiResources.deps.db;
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body;
    await jobEnd(admin, job.id, 60_000);
    await waitUntil(async () => ((await inFlight()) === 0 ? true : undefined), 10_000, 20);

    // A worker took the job, put its prompt on sim0 and died (no lease of its own left): the
    // prompt runs on there (4000 steps of 5 ms) while BullMQ hands the entry out again.
    const sim = stack.sims[0]!;
    const workflow = defaultWorkflow({ steps: 4000, width: 64, height: 64 });
    for (const node of Object.values(workflow)) if (node.class_type === 'SaveImage') node.inputs.filename_prefix = 'orphaned';
    const posted = await fetch(`${sim.url}/prompt`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: workflow, client_id: randomUUID() }) });
    const { prompt_id: promptId } = (await posted.json()) as { prompt_id: string };
    await db.job.update({
      where: { id: job.id },
      data: { status: 'running', backendId: 'sim0', promptId, workerId: 'dead-worker', heartbeatAt: new Date(Date.now() - 10 * 60_000), finishedAt: null },
    });
    await stack.apiResources.deps.queue.remove(job.id);
    await enqueueRender(stack.apiResources.deps.queue, { jobId: job.id, tenantId: (await db.job.findUniqueOrThrow({ where: { id: job.id } })).tenantId }, 0);

    await waitUntil(async () => ((await inFlight()) === 1 ? true : undefined), 60_000, 20);
    expect(sim.executions('orphaned')).toHaveLength(0); // counted while it still runs there
    const done = await jobEnd(admin, job.id, 120_000);
    expect(done).toMatchObject({ status: 'succeeded', backend: 'sim0' });
    expect(sim.executions('orphaned')).toHaveLength(1); // followed, not run again
    await waitUntil(async () => ((await inFlight()) === 0 ? true : undefined), 10_000, 20);
  }, 240_000);
});
