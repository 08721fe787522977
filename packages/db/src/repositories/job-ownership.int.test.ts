import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@gantry/testing';
import { uuidv7 } from '@gantry/domain';
import { createPrisma } from '../client';
import { bumpQueueGenerations, claimLostJob, touchHeldJobs, findReconcileCandidates } from './job-ownership';
import { insertJob } from './jobs';
import { transitionJob } from './job-transitions';

/** Ownership of held jobs is decided in PostgreSQL, with PostgreSQL's clock. */
describe('job ownership', () => {
  let database: TestDatabase;
  let db: ReturnType<typeof createPrisma>;
  let tenantId: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPrisma(database.url);
    tenantId = (await db.tenant.create({ data: { name: `t-${randomUUID()}` } })).id;
  });
  afterAll(async () => {
    await db.$disconnect();
    await database.drop();
  });

  async function dispatchedTo(workerId: string): Promise<string> {
    const id = uuidv7();
    await insertJob(db, { id, tenantId, workflow: {}, priority: 0 });
    expect(await transitionJob(db, id, 'dispatched', { workerId, backendId: 'b', promptId: randomUUID(), incrementAttempts: true })).not.toBeNull();
    return id;
  }

  it('lets another worker claim a job only once its heartbeat is stale, and only one of them', async () => {
    const id = await dispatchedTo('w1');
    expect(await claimLostJob(db, id, 'w2', 60_000, false)).toBeNull(); // fresh: w1 holds it
    expect(await touchHeldJobs(db, 'w1', [id])).toBe(1);
    expect(await touchHeldJobs(db, 'w2', [id])).toBe(0); // only the holder beats
    await db.job.update({ where: { id }, data: { heartbeatAt: new Date(Date.now() - 120_000) } });
    const claims = await Promise.all([claimLostJob(db, id, 'w2', 60_000, false), claimLostJob(db, id, 'w3', 60_000, false)]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    const winner = claims.find(Boolean)!;
    expect(['w2', 'w3']).toContain(winner.workerId);
  });

  it('lets a worker take back its own job when it runs no attempt of it', async () => {
    const id = await dispatchedTo('w1');
    expect(await claimLostJob(db, id, 'w1', 60_000, false)).toBeNull();
    expect((await claimLostJob(db, id, 'w1', 60_000, true))?.workerId).toBe('w1');
  });

  it('clears the owner when the job leaves dispatched/running, and lists stale held jobs for the reconciler', async () => {
    const id = await dispatchedTo('w1');
    await db.job.update({ where: { id }, data: { heartbeatAt: new Date(Date.now() - 120_000) } });
    const candidates = await findReconcileCandidates(db, { group: 'held', graceMs: 0, staleMs: 60_000, limit: 100 });
    expect(candidates.map((c) => c.id)).toContain(id);
    const requeued = await transitionJob(db, id, 'queued', { backendId: null, lastError: { code: 'WORKER_LOST', message: 'gone', backend: 'b', attempt: 1 } });
    expect(requeued?.event).toEqual(expect.objectContaining({ status: 'queued', error: { code: 'WORKER_LOST', message: 'gone', backend: 'b', attempt: 1 } }));
    const row = await db.job.findUniqueOrThrow({ where: { id } });
    expect(row.workerId).toBeNull();
    expect(row.heartbeatAt).toBeNull();
    expect(row.lastError).toEqual({ code: 'WORKER_LOST', message: 'gone', backend: 'b', attempt: 1 });
    await transitionJob(db, id, 'canceled', { error: { code: 'CANCELED', message: 'x' } });
    expect((await db.job.findUniqueOrThrow({ where: { id } })).lastError).toBeNull();
  });

  it('records a success with its outputs and their events in one statement, replacing an earlier attempt\'s rows', async () => {
    const id = await dispatchedTo('w1');
    await db.artifact.create({ data: { id: uuidv7(), jobId: id, tenantId, filename: 'old.png', contentType: 'image/png', bytes: 1, sha256: 'x', storageKey: 'x' } });
    const outputs = [1, 2].map((n) => ({ id: uuidv7(), jobId: id, tenantId, nodeId: '9', filename: `o${n}.png`, contentType: 'image/png', bytes: n, sha256: `s${n}`, storageKey: `k${n}` }));
    const done = await transitionJob(db, id, 'succeeded', { progress: 1, outputs });
    expect(done?.events.map((e) => e.payload.type)).toEqual(['output', 'output', 'state']);
    expect(done?.events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect((await db.artifact.findMany({ where: { jobId: id }, orderBy: { filename: 'asc' } })).map((a) => a.filename)).toEqual(['o1.png', 'o2.png']);
    // A second success (another worker finishing the same job) changes nothing.
    expect(await transitionJob(db, id, 'succeeded', { progress: 1, outputs: [{ ...outputs[0]!, id: uuidv7() }] })).toBeNull();
    expect(await db.artifact.count({ where: { jobId: id } })).toBe(2);
  });
  it('checks between full passes the queued jobs that entered the queue within the window, whatever else changed them', async () => {
    const ago = (ms: number) => new Date(Date.now() - ms);
    const fresh = uuidv7(); // just submitted
    const old = uuidv7(); // queued long ago, touched since (e.g. its priority aged)
    const sentBack = uuidv7(); // queued long ago, dispatched, then sent back to the queue
    const rewritten = uuidv7(); // queued long ago, its entry written again by the reconciler
    for (const id of [fresh, old, sentBack, rewritten]) await insertJob(db, { id, tenantId, workflow: {}, priority: 0 });
    await db.job.updateMany({ where: { id: { in: [old, sentBack, rewritten] } }, data: { queuedAt: ago(600_000) } });
    await db.job.update({ where: { id: old }, data: { priority: 5 } }); // updated_at is now
    expect(await transitionJob(db, sentBack, 'dispatched', { workerId: 'w1', backendId: 'b', promptId: randomUUID(), incrementAttempts: true })).not.toBeNull();
    expect(await transitionJob(db, sentBack, 'queued', { backendId: null })).not.toBeNull();
    expect((await bumpQueueGenerations(db, [{ id: rewritten, fromSeq: 0 }])).get(rewritten)).toBe(1);

    const mine = new Set([fresh, old, sentBack, rewritten]);
    const ids = async (changedWithinMs: number | null, graceMs = 0) =>
      (await findReconcileCandidates(db, { group: 'queued', graceMs, staleMs: 60_000, changedWithinMs, limit: 1000 })).map((c) => c.id).filter((id) => mine.has(id));
    expect(await ids(120_000)).toEqual([fresh, sentBack, rewritten].sort());
    expect(await ids(null)).toEqual([fresh, old, sentBack, rewritten].sort());
    // The grace counts from entering the queue too: a job queued a moment ago may have its enqueue in flight.
    expect(await ids(null, 300_000)).toEqual([old]);
    expect(await ids(120_000, 60_000)).toEqual([]);
  });
});
