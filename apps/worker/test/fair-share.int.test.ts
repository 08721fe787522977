import { uuidv7 } from '@gantry/domain';
import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { toBullPriority, RENDER_JOB_OPTIONS } from '@gantry/queue';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * Fair share on top of BullMQ (whose open-source edition has no groups): a tenant's burst must not
 * hold another tenant's job behind it, and priorities are honoured.
 */
describe('scheduling order', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  beforeEach(async () => {
    stack = await startStack({ gpus: 1, stepMs: 1, worker: false });
    admin = apiClient(stack.url, stack.adminKey);
  });
  afterEach(() => stack.close());

  async function tenantKey(name: string): Promise<string> {
    return (await admin('POST', '/api/v1/api-keys', { tenant: name, scopes: ['submit', 'read'] })).body.key;
  }

  it("starts another tenant's job as soon as a slot frees, behind a 10,000-job burst", async () => {
    const burstKey = await tenantKey('burst');
    const burst = apiClient(stack.url, burstKey);
    const small = apiClient(stack.url, await tenantKey('small'));
    const workflow = defaultWorkflow({ steps: 1, width: 64, height: 64 });

    // The burst's first jobs go through the API; the other 10,000 are written the way the API
    // writes them (rows, then queue entries ranked by the tenant's job count) but in bulk, so the
    // test does not spend a minute on HTTP.
    const first = [];
    for (let i = 0; i < 3; i++) first.push((await burst('POST', '/api/v1/jobs', { workflow })).body.id);
    const db = stack.apiResources.deps.db;
    const tenantId = (await db.job.findUniqueOrThrow({ where: { id: first[0] } })).tenantId;
    const ids = Array.from({ length: 10_000 }, () => uuidv7());
    await db.job.createMany({ data: ids.map((id) => ({ id, tenantId, workflow: workflow as object, priority: 0, lastSeq: 0 })) });
    await stack.apiResources.deps.queue.addBulk(
      ids.map((id, i) => ({
        name: 'render',
        data: { jobId: id, tenantId },
        opts: { ...RENDER_JOB_OPTIONS, jobId: id, priority: toBullPriority(0, first.length + i) },
      })),
    );
    const lone = (await small('POST', '/api/v1/jobs', { workflow })).body;

    await stack.startWorker();
    const done = await waitUntil(async () => {
      const res = await small('GET', `/api/v1/jobs/${lone.id}`);
      return res.body.status === 'succeeded' ? res.body : undefined;
    }, 90_000);
    const startedBefore = await db.job.count({ where: { tenantId, startedAt: { lt: new Date(done.startedAt) } } });
    // One GPU slot: the lone job waits for at most the burst's first job (the one holding the slot).
    expect(startedBefore).toBeLessThanOrEqual(2);
    expect(await db.job.count({ where: { tenantId, status: 'queued' } })).toBeGreaterThan(9_000);
    // Bounds, not speed: writing 10,000 rows and queue entries on a loaded 2-core machine can take
    // a minute; the assertions above are about order, never time.
  }, 180_000);

  it('runs higher priorities first, FIFO within a priority', async () => {
    const client = apiClient(stack.url, await tenantKey('prio'));
    const workflow = defaultWorkflow({ steps: 1, width: 64, height: 64 });
    const low = (await client('POST', '/api/v1/jobs', { workflow, priority: -10 })).body.id;
    const normal1 = (await client('POST', '/api/v1/jobs', { workflow })).body.id;
    const normal2 = (await client('POST', '/api/v1/jobs', { workflow })).body.id;
    const urgent = (await client('POST', '/api/v1/jobs', { workflow, priority: 50 })).body.id;
    // Waits are explained: the urgent job is next, the low one last.
    const waiting = (await client('GET', `/api/v1/jobs/${low}`)).body;
    expect(waiting.queue).toMatchObject({ position: 3, throughputPerMinute: 0, estimatedStartAt: null });
    expect((await client('GET', `/api/v1/jobs/${urgent}`)).body.queue.position).toBe(0);
    await stack.startWorker();
    const ids = [low, normal1, normal2, urgent];
    const jobs = await waitUntil(async () => {
      const all = await Promise.all(ids.map(async (id) => (await client('GET', `/api/v1/jobs/${id}`)).body));
      return all.every((j) => j.status === 'succeeded') ? all : undefined;
    });
    const order = [...jobs].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)).map((j) => j.id);
    expect(order).toEqual([urgent, normal1, normal2, low]);
    expect(jobs[0].queue).toBeUndefined();
    const another = (await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 500 }) })).body.id;
    const next = (await client('POST', '/api/v1/jobs', { workflow })).body.id;
    // The API reuses its judgement of the fleet for up to 1 s (ReusedRead): the one read before the
    // worker started may still answer for a moment when these jobs ran that fast.
    const explained = await waitUntil(async () => {
      const body = (await client('GET', `/api/v1/jobs/${next}`)).body;
      return body.queue && body.queue.position === 0 && body.queue.eligibleBackends === 1 ? body.queue : undefined;
    });
    expect(explained.throughputPerMinute).toBeGreaterThan(0);
    expect(Date.parse(explained.estimatedStartAt)).toBeGreaterThan(Date.now() - 1000);
    await client('POST', `/api/v1/jobs/${another}/cancel`);
  });
});

describe('priority aging', () => {
  it('raises a waiting job one level per aging interval, keeping its rank', async () => {
    const stack = await startStack({ gpus: 0, worker: false });
    try {
      const admin = apiClient(stack.url, stack.adminKey);
      const workflow = defaultWorkflow({ steps: 1 });
      const low = (await admin('POST', '/api/v1/jobs', { workflow, priority: -3 })).body.id;
      const fresh = (await admin('POST', '/api/v1/jobs', { workflow, priority: 0 })).body.id;
      const { db, queue } = stack.apiResources.deps;
      // The low job has waited 5 intervals of 1 s: it climbs to -3 + 5 = 2, above the fresh job.
      await db.job.update({ where: { id: low }, data: { createdAt: new Date(Date.now() - 5_500) } });
      const { ageWaitingJobs } = await import('../src/dispatch/priority-aging.js');
      expect(await ageWaitingJobs(db, queue, 1000)).toBe(1);
      const [lowJob, freshJob] = await Promise.all([queue.getJob(low), queue.getJob(fresh)]);
      expect(lowJob!.priority).toBe(toBullPriority(2, 0));
      expect(lowJob!.priority).toBeLessThan(freshJob!.priority);
      expect((await admin('GET', `/api/v1/jobs/${low}`)).body.queue.position).toBe(0);
      expect(await ageWaitingJobs(db, queue, 1000)).toBe(0); // idempotent
    } finally {
      await stack.close();
    }
  });
});
