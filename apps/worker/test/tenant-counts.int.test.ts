import { tenantCountsKey, type TenantJobCounts } from '@gantry/queue';
import { apiClient, startStack, waitUntil, type TestStack } from '@gantry/testing';
import { QueueReconciler } from '../src/reconcile/queue-reconciler';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * The tenants' queued/held counts kept in Redis (submit's fair-share rank and queued cap read
 * them instead of a GROUP BY): the job door keeps them through submit, dispatch, run, end and
 * cancel; a tenant without them is counted in PostgreSQL and seeded; a lost update is a drift the
 * reconciler corrects (on the second pass that sees it: the first may be a change in flight).
 * Real PostgreSQL, Redis and gpu-sim; reconciler passes run by hand.
 */
describe('tenant job counts in Redis', () => {
  let stack: TestStack;
  let counts: TenantJobCounts;

  beforeEach(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
    counts = stack.apiResources.deps.counts;
  });
  afterEach(() => stack.close());

  async function tenant(name: string): Promise<{ id: string; client: ReturnType<typeof apiClient> }> {
    const admin = apiClient(stack.url, stack.adminKey);
    const key = (await admin('POST', '/api/v1/api-keys', { tenant: name, scopes: ['submit', 'read'] })).body.key as string;
    const row = await stack.apiResources.deps.db.tenant.findFirstOrThrow({ where: { name } });
    return { id: row.id, client: apiClient(stack.url, key) };
  }

  /** PostgreSQL's counts of a tenant (the record). */
  async function actual(tenantId: string): Promise<{ queued: number; running: number }> {
    const rows = await stack.apiResources.deps.db.job.groupBy({ by: ['status'], where: { tenantId }, _count: { _all: true } });
    const n = (s: string) => rows.find((r) => r.status === s)?._count._all ?? 0;
    return { queued: n('queued'), running: n('dispatched') + n('running') };
  }

  const kept = async (tenantId: string) => (await counts.submitState(tenantId)).counts;

  it('follows every change of a job: submit, dispatch, success, cancel', async () => {
    const { id, client } = await tenant('counted');
    expect(await kept(id)).toBeNull();
    const submitted: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, seed: i, width: 16, height: 16 }) });
      expect(res.status).toBe(202);
      submitted.push(res.body.id);
    }
    // The first submit counted in PostgreSQL and seeded the counts; each submit added its job.
    expect(await kept(id)).toEqual({ queued: 3, running: 0 });
    expect((await client('POST', `/api/v1/jobs/${submitted[2]}/cancel`)).status).toBe(200);
    expect(await kept(id)).toEqual({ queued: 2, running: 0 });

    // A worker runs the other two: dispatched (queued → held), running, succeeded (held → none).
    await stack.startWorker({ GANTRY_RECONCILE_INTERVAL_MS: '0' });
    for (const job of submitted.slice(0, 2)) {
      await waitUntil(async () => ((await client('GET', `/api/v1/jobs/${job}`)).body.status === 'succeeded' ? true : undefined), 60_000);
    }
    // The door updates Redis alongside publishing the change: wait for it, not for time.
    expect(await waitUntil(async () => {
      const c = await kept(id);
      return c && c.queued === 0 && c.running === 0 ? c : undefined;
    }, 30_000)).toEqual({ queued: 0, running: 0 });
    expect(await actual(id)).toEqual({ queued: 0, running: 0 });
  });

  it('counts in PostgreSQL when Redis lost the counts, and the reconciler corrects a lost update', async () => {
    const { id, client } = await tenant('drifting');
    const submit = async (seed: number) => expect((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ seed }) })).status).toBe(202);
    await submit(1);
    await submit(2);
    expect(await kept(id)).toEqual({ queued: 2, running: 0 });

    // Redis came back empty: the next submit counts in PostgreSQL (2) and adds its own job.
    await stack.apiResources.deps.redis.del(tenantCountsKey(stack.prefix));
    await submit(3);
    expect(await kept(id)).toEqual({ queued: 3, running: 0 });

    // A submit reserves its job in the counts before its insert; a refused one gives it back. (The
    // backend registered here is seen by the next submit: its registration announced a change.)
    const admin = apiClient(stack.url, stack.adminKey);
    expect((await admin('POST', '/api/v1/backends', { id: 'gpu-x', url: 'http://127.0.0.1:9' })).status).toBe(201);
    const refused = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ seed: 9 }), requirements: { tags: ['absent'] } });
    expect(refused.body.code).toBe('NO_ELIGIBLE_BACKEND');
    expect(await kept(id)).toEqual({ queued: 3, running: 0 });

    // Updates lost (an API died between its commit and Redis): the counts drift from PostgreSQL.
    await stack.apiResources.deps.redis.hincrby(tenantCountsKey(stack.prefix), `${id}:q`, 5);
    await stack.apiResources.deps.redis.hincrby(tenantCountsKey(stack.prefix), `${id}:r`, -1);
    expect(await kept(id)).toEqual({ queued: 8, running: -1 });

    const api = stack.apiResources.deps;
    const reconciler = new QueueReconciler({
      db: api.db, redis: api.redis, prefix: stack.prefix, jobs: api.jobs, counts, logger: api.logger,
      intervalMs: 0, graceMs: 0, staleMs: 60_000, fullEveryMs: 3_600_000,
    });
    // First pass: seen once (it could be a change in flight), left alone.
    await reconciler.pass();
    expect(await kept(id)).toEqual({ queued: 8, running: -1 });
    // Second pass, same drift: corrected to PostgreSQL's counts.
    await reconciler.pass();
    expect(await kept(id)).toEqual(await actual(id));
    expect(await kept(id)).toEqual({ queued: 3, running: 0 });
    // Nothing to correct now, and a submit goes on from the corrected counts.
    await reconciler.pass();
    await submit(4);
    expect(await kept(id)).toEqual({ queued: 4, running: 0 });
    await reconciler.stop();
  });
});
