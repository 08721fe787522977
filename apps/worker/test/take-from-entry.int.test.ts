import { poolOf } from '@gantry/db';
import { jobTake, storedJobInput } from '@gantry/fleet';
import { enqueueRender } from '@gantry/queue';
import type { RunningWorker } from '@gantry/worker';
import { apiClient, jobEnd, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from '../../api/test/fixtures';

/** The statements the worker's pool runs, by kind: the row read before a lease, and the transitions (with or without the row). */
function spyOnWorkerStatements(worker: RunningWorker) {
  const pool = poolOf(worker.deps.db);
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const seen: string[] = [];
  const spy = jest.spyOn(pool, 'query').mockImplementation(((...args: unknown[]) => {
    const config = args[0] as string | { name?: string; text?: string };
    const text = typeof config === 'string' ? config : (config.text ?? '');
    if (typeof config === 'object' && config.name === 'gantry-read-job-row') seen.push('read');
    else if (text.includes('WITH p AS')) seen.push(text.includes('"row_id"') ? 'transition+row' : 'transition');
    return query(...args);
  }) as never);
  return { seen, restore: () => spy.mockRestore() };
}

/**
 * A queue entry carries what a worker needs to lease a GPU for its job (`take`: the need and model
 * from the job's input), so the worker leases first and then dispatches the job and reads its row in
 * one statement, instead of reading the row before the lease: one round trip to PostgreSQL less
 * between the entry's pickup and the prompt's send.
 */
describe('a job taken from its queue entry: lease on the entry, then dispatch and read in one statement', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let worker: RunningWorker;
  beforeAll(async () => {
    stack = await startStack({ gpus: 1, stepMs: 5, worker: false });
    admin = apiClient(stack.url, stack.adminKey);
  }, 60_000);
  afterAll(() => stack.close());

  const executions = (): number => stack.sims[0]!.executions().length;

  it("puts the job's need and model in its entry, and the worker dispatches it without reading its row first", async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 1 }) })).body;
    const entry = await stack.apiResources.deps.queue.getJob(job.id);
    expect(entry?.data).toEqual({
      jobId: job.id,
      tenantId: expect.any(String),
      take: {
        need: { kind: 'comfyui', nodeTypes: expect.arrayContaining(['KSampler', 'CheckpointLoaderSimple', 'SaveImage']), models: [{ kind: 'checkpoint', name: expect.any(String) }] },
        model: expect.any(String),
      },
    });
    worker = await stack.startWorker();
    expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
    // The worker's statements for the next job, from its pickup on.
    const statements = spyOnWorkerStatements(worker);
    try {
      const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 3 }) })).body;
      expect(await jobEnd(admin, next.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1, backend: 'sim0' });
      // Dispatched and read in one statement; `running` and `succeeded` as before; never read alone.
      expect(statements.seen).toEqual(['transition+row', 'transition', 'transition']);
    } finally {
      statements.restore();
    }
    // Its events in order, numbered without a gap, as ever.
    const events = (await admin('GET', `/api/v1/jobs/${job.id}/events`)).body.items as { seq: number; event: { type: string; status?: string } }[];
    expect(events.filter((e) => e.event.type === 'state').map((e) => e.event.status)).toEqual(['queued', 'dispatched', 'running', 'succeeded']);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  }, 90_000);

  it('lets the slot go and judges the job by its row when the entry finds it not queued any more (a second entry of an ended job)', async () => {
    const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 2 }) })).body;
    expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
    const before = executions();
    const queue = stack.apiResources.deps.queue;
    const { rows } = await poolOf(stack.apiResources.deps.db).query<{ tenant_id: string; workflow: unknown }>('SELECT tenant_id::text, workflow FROM jobs WHERE id = $1', [job.id]);
    const statements = spyOnWorkerStatements(worker);
    try {
      // A second entry of the ended job (as a reconciler's duplicate would be), with its take.
      const take = jobTake(storedJobInput('workflow', rows[0]!.workflow), null);
      await enqueueRender(queue, { jobId: job.id, tenantId: rows[0]!.tenant_id, take }, 0, 0, 7);
      const second = await waitUntil(async () => {
        const e = await queue.getJob(`${job.id}.r7`);
        return e && (await e.isCompleted()) ? e : undefined;
      }, 30_000, 20);
      expect(second.returnvalue).toBe('skipped');
      // The refused dispatch (no row: nothing changed), then the row read that saw it ended.
      expect(statements.seen).toEqual(['transition+row', 'read']);
    } finally {
      statements.restore();
    }
    expect(executions()).toBe(before); // nothing ran again
    expect((await admin('GET', `/api/v1/jobs/${job.id}`)).body).toMatchObject({ status: 'succeeded', attempts: 1 });
    // Its slot was let go.
    expect((await worker.deps.fleet.leases.slotsInUse(['sim0'])).sim0 ?? 0).toBe(0);
  }, 90_000);
});

/**
 * A worker that stops while a job taken from its entry waits for a GPU slot (nothing recorded yet)
 * gives the entry back as it is: no attempt counted, no retry delay, and the next worker runs it.
 */
describe('a job taken from its entry, waiting for a slot when its worker stops', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A lead longer than any job: once the GPU's pace is known, the worker takes a job while the
    // only slot is busy, and the job waits for it (docs/scheduling.md, GANTRY_SLOT_LEAD_MS).
    stack = await startStack({ gpus: 1, stepMs: 5, workerEnv: { GANTRY_SLOT_LEAD_MS: '60000', GANTRY_SLOT_WAIT_MS: '120000', GANTRY_SHUTDOWN_GRACE_MS: '0' } });
  }, 60_000);
  afterAll(() => stack.close());

  it('is handed back to the queue unchanged (still queued, no attempt) and runs once on the next worker', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const first = stack.worker!;
    for (const seed of [1, 2, 3]) {
      const job = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed }) })).body;
      expect(await jobEnd(admin, job.id, 60_000)).toMatchObject({ status: 'succeeded' });
    }
    expect(first.deps.fleet.pace.expectedMs('sim0')).not.toBeNull();
    let waiting = 0; // the worker's jobs between their slot attempts (offered a hand-over)
    const offer = first.deps.fleet.offerHandOver.bind(first.deps.fleet);
    first.deps.fleet.offerHandOver = (place, take) => {
      waiting++;
      return offer(place, take);
    };
    const long = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1200, seed: 31 }) })).body;
    await waitUntil(async () => ((await admin('GET', `/api/v1/jobs/${long.id}`)).body.status === 'running' ? true : undefined), 60_000, 10);
    const next = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 32 }) })).body;
    await waitUntil(async () => (waiting > 0 ? true : undefined), 60_000, 10);
    expect((await admin('GET', `/api/v1/jobs/${long.id}`)).body.status).toBe('running');
    await first.close(); // no grace: the running job is interrupted and handed back too
    expect((await admin('GET', `/api/v1/jobs/${next.id}`)).body).toMatchObject({ status: 'queued', attempts: 0 });
    const entry = await stack.apiResources.deps.queue.getJob(next.id);
    expect(entry?.attemptsMade).toBe(0);
    expect(entry?.failedReason).toBeFalsy();
    await stack.startWorker();
    expect(await jobEnd(admin, next.id, 60_000)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(await jobEnd(admin, long.id, 90_000)).toMatchObject({ status: 'succeeded' });
  }, 150_000);
});
