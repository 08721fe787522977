import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { QUEUE_NAMES, uuidv7 } from '@gantry/domain';
import { JobDoor } from '@gantry/jobs';
import { createRenderQueue } from '@gantry/queue';
import { apiClient, startStack, TEST_REDIS_URL, waitUntil, type TestStack, jobEnd } from '@gantry/testing';
import type { RunningWorker } from '@gantry/worker';
import { QueueReconciler } from '../src/reconcile/queue-reconciler';
import { defaultWorkflow } from '../../api/test/fixtures';

/**
 * PostgreSQL is the record, Redis a cache of the queue: whatever Redis lost, the reconciler queues
 * again every job PostgreSQL says must run. Passes are run by hand (the loop is off), so nothing
 * here waits for a timer.
 */
describe('queue reconciler', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let redis: Redis;
  const reconcileEnv = { GANTRY_RECONCILE_INTERVAL_MS: '0', GANTRY_RECONCILE_GRACE_MS: '0' };

  beforeEach(async () => {
    stack = await startStack({ gpus: 1, stepMs: 2, worker: false });
    admin = apiClient(stack.url, stack.adminKey);
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  });
  afterEach(async () => {
    redis.disconnect();
    await stack.close();
  });

  const db = () => stack.apiResources.deps.db;
  // Generous: on a busy machine eight jobs queued behind one GPU take a while; the wait ends at the event.
  const finished = (id: string) =>
    jobEnd(admin, id, 150_000);

  /** What a Redis restart without persistence, or a failover to an empty replica, leaves: nothing. */
  async function dropQueue(): Promise<number> {
    let cursor = '0';
    let dropped = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${stack.prefix}:${QUEUE_NAMES.render}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) dropped += await redis.del(...keys);
    } while (cursor !== '0');
    return dropped;
  }

  async function counter(worker: RunningWorker, name: string): Promise<Record<string, number>> {
    const metric = await worker.deps.metrics.getSingleMetric(name)?.get();
    const out: Record<string, number> = {};
    for (const v of metric?.values ?? []) out[Object.values(v.labels).join(',') || '_'] = v.value;
    return out;
  }

  it('queues again every queued job after Redis lost the queue, and each runs once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: i }) })).body.id);
    expect(await dropQueue()).toBeGreaterThan(0);

    const worker = await stack.startWorker(reconcileEnv);
    const report = await worker.reconciler.pass();
    expect(report).toEqual({ full: true, checked: 5, requeued: 5 });
    for (const id of ids) {
      const done = await finished(id);
      expect(done.status).toBe('succeeded');
      expect(done.attempts).toBe(1);
      expect(done.artifacts).toHaveLength(1);
    }
    expect(await counter(worker, 'gantry_jobs_reconciled_total')).toEqual({ queued: 5 });
    // Nothing is lost now: a second pass finds nothing to do.
    expect(await worker.reconciler.pass()).toEqual({ full: false, checked: 0, requeued: 0 });
  });

  it('leaves alone live entries and jobs a live worker holds; takes a held job once its heartbeat is stale', async () => {
    const api = stack.apiResources.deps;
    const reconciler = new QueueReconciler({ db: api.db, redis: api.redis, prefix: stack.prefix, jobs: api.jobs, logger: api.logger, intervalMs: 0, graceMs: 0, staleMs: 20_000, fullEveryMs: 3_600_000 });
    await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) });
    const held = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2, seed: 7 }) })).body.id as string;
    await db().job.update({ where: { id: held }, data: { status: 'running', workerId: 'alive', heartbeatAt: new Date(), backendId: 'sim0', promptId: randomUUID() } });
    await api.queue.remove(held);
    // The queued job's entry is live; the held job's heartbeat is fresh, so it is no candidate.
    expect(await reconciler.pass()).toEqual({ full: true, checked: 1, requeued: 0 });

    await db().job.update({ where: { id: held }, data: { heartbeatAt: new Date(Date.now() - 60_000) } });
    // Between full passes only recently changed queued jobs are checked (both are recent here).
    expect(await reconciler.pass()).toEqual({ full: false, checked: 2, requeued: 1 });
    expect(await api.queue.getJob(`${held}.r1`)).toBeDefined();
    // Redis losing its data (the marker with it) makes the next pass a full one.
    await redis.del(`${stack.prefix}:reconciler:marker`);
    expect((await reconciler.pass())?.full).toBe(true);
    expect((await reconciler.pass())?.full).toBe(false);
    // So does another server answering: after a Sentinel failover the marker, replicated, names the old master.
    await redis.set(`${stack.prefix}:reconciler:marker`, 'run-id-of-another-server');
    expect((await reconciler.pass())?.full).toBe(true);
    expect((await reconciler.pass())?.full).toBe(false);
    await reconciler.stop();
  });

  it('queues a job whose submit never reached Redis, and an Idempotency-Key replay re-adds a lost entry', async () => {
    const broken = new Redis({ host: '127.0.0.1', port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    broken.on('error', () => undefined); // refused on purpose
    const deadQueue = createRenderQueue({ connection: broken, prefix: stack.prefix });
    deadQueue.on('error', () => undefined);
    const api = stack.apiResources.deps;
    const door = new JobDoor({ db: api.db, publisher: api.publisher, metrics: api.metrics, logger: api.logger, queue: deadQueue, onWebhookDelivery: () => undefined });
    const tenant = await api.db.tenant.findFirstOrThrow();
    const row = await door.submit({ id: uuidv7(), tenantId: tenant.id, workflow: defaultWorkflow({ steps: 2 }), priority: 0 }, 0);
    expect(row.status).toBe('queued'); // accepted: the row is committed
    const deferred = await api.metrics.getSingleMetric('gantry_jobs_enqueue_deferred_total')?.get();
    expect(deferred?.values[0]?.value).toBe(1);
    await deadQueue.close().catch(() => undefined);
    broken.disconnect();
    expect(await api.queue.getJob(row.id)).toBeUndefined();

    const key = `replay-${randomUUID()}`;
    const body = { workflow: defaultWorkflow({ steps: 2, seed: 99 }) };
    const first = await admin('POST', '/api/v1/jobs', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    await api.queue.remove(first.body.id);
    const again = await admin('POST', '/api/v1/jobs', body, { 'Idempotency-Key': key });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(await api.queue.getJob(first.body.id)).toBeDefined();

    const worker = await stack.startWorker(reconcileEnv);
    expect((await worker.reconciler.pass())?.requeued).toBe(1);
    expect((await finished(row.id)).status).toBe('succeeded');
    expect((await finished(first.body.id)).status).toBe('succeeded');
  });

  it('recovers a job whose worker died and whose queue entry is gone: its prompt never reached the backend, so it runs again', async () => {
    const id = (await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 2 }) })).body.id as string;
    const stale = new Date(Date.now() - 10 * 60_000);
    await db().job.update({
      where: { id },
      data: { status: 'running', attempts: 1, workerId: 'dead-worker', heartbeatAt: stale, backendId: 'sim0', promptId: randomUUID() },
    });
    await dropQueue();

    const worker = await stack.startWorker(reconcileEnv);
    expect(await worker.reconciler.pass()).toEqual({ full: true, checked: 1, requeued: 1 });
    const done = await finished(id);
    expect(done.status).toBe('succeeded');
    expect(done.attempts).toBe(2);
    expect(done.lastError).toBeNull();
    const row = await db().job.findUniqueOrThrow({ where: { id } });
    expect(row.queueSeq).toBe(1);
    expect(row.workerId).toBeNull();
    const states = (await admin('GET', `/api/v1/jobs/${id}/events`)).body.items.filter((e: any) => e.event.type === 'state');
    const requeue = states.find((e: any) => e.event.status === 'queued' && e.event.error);
    expect(requeue.event.error).toEqual(expect.objectContaining({ code: 'WORKER_LOST', backend: 'sim0', attempt: 1 }));
    expect(await counter(worker, 'gantry_job_recoveries_total')).toEqual({ rerun: 1 });
  });

  it('loses nothing when Redis forgets the queue while jobs run and wait: each job succeeds once, with the outputs of one run', async () => {
    const worker = await stack.startWorker({ GANTRY_RECONCILE_INTERVAL_MS: '300', GANTRY_RECONCILE_GRACE_MS: '0', GANTRY_SLOT_WAIT_MS: '200' });
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 30, seed: 100 + i }) })).body.id);
    // One runs on the single GPU, the rest wait: now Redis comes back empty.
    await waitUntil(async () => ((await db().job.count({ where: { id: { in: ids }, status: 'running' } })) > 0 ? true : undefined));
    await dropQueue();
    const done = await Promise.all(ids.map((id) => finished(id)));
    expect(done.map((j) => j.status)).toEqual(ids.map(() => 'succeeded'));
    for (const id of ids) {
      const events = (await admin('GET', `/api/v1/jobs/${id}/events`)).body.items;
      expect(events.filter((e: any) => e.event.type === 'state' && e.event.status === 'succeeded')).toHaveLength(1);
      expect(events.filter((e: any) => e.event.type === 'output')).toHaveLength(1);
    }
    const reconciled = await counter(worker, 'gantry_jobs_reconciled_total');
    expect(reconciled.queued ?? 0).toBeGreaterThan(0);
  }, 240_000);
});
