import pg from 'pg';
import { appendJobEvent } from '@gantry/db';
import { closeRedis, createRedis, EventPublisher, type RedisClient } from '@gantry/queue';
import { apiClient, NO_RATE_LIMITS, startStack, StreamClient, waitUntil, type TestStack } from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const SNAPSHOT_READ = 'gantry-read-job-list-active';

/**
 * A reconnect storm of `all` subscriptions (an API restart, a load balancer dropping its
 * connections): K sockets subscribing at once while M jobs are active share one read of their
 * tenant's active jobs, and each still gets every snapshot and then every event exactly once, in
 * order, including events stored or published while that read is in flight. No worker: the jobs
 * stay queued, and the test stores and publishes their events as the worker does.
 */
describe('WebSocket reconnect storm', () => {
  let stack: TestStack;
  let admin: ReturnType<typeof apiClient>;
  let redis: RedisClient;
  let publisher: EventPublisher;
  const clients: StreamClient[] = [];

  /** SELECTs of jobs or what hangs off them, by the API or this test (counted, still run). */
  let jobSelects = 0;
  /** The shared snapshot reads, and what runs around the next one (once). */
  let snapshotReads = 0;
  let aroundNextRead: { before: () => Promise<void>; after: () => Promise<void> } | null = null;
  const clientQuery = pg.Client.prototype.query;

  beforeAll(async () => {
    stack = await startStack({ worker: false, gpus: 0, apiEnv: { ...NO_RATE_LIMITS, GANTRY_WS_MAX_SOCKETS_PER_IP: '0', GANTRY_WS_MAX_SOCKETS_PER_KEY: '0' } });
    admin = apiClient(stack.url, stack.adminKey);
    redis = createRedis(stack.redisUrl);
    publisher = new EventPublisher(redis, stack.prefix);
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const config = args[0] as string | { text?: string; name?: string } | undefined;
      const text = typeof config === 'string' ? config : (config?.text ?? '');
      if (/^\s*SELECT/i.test(text) && /\b(jobs|artifacts|job_inputs|job_events)\b/.test(text)) jobSelects += 1;
      const run = () => (clientQuery as (...a: unknown[]) => unknown).apply(this, args);
      // The shared snapshot read (a statement of its own, in its own transaction on a pool client).
      if (typeof config === 'object' && config?.name === SNAPSHOT_READ) {
        snapshotReads += 1;
        const around = aroundNextRead;
        aroundNextRead = null;
        return (async () => {
          await around?.before();
          const result = await run();
          await around?.after();
          return result;
        })();
      }
      return run();
    } as typeof clientQuery;
  });
  afterEach(() => clients.splice(0).forEach((c) => c.close()));
  afterAll(async () => {
    pg.Client.prototype.query = clientQuery;
    await closeRedis(redis);
    await stack.close();
  });

  async function tenantKey(tenant: string): Promise<string> {
    return (await admin('POST', '/api/v1/api-keys', { tenant, scopes: ['submit', 'read'] })).body.key;
  }

  async function submit(key: string, n: number): Promise<string[]> {
    const api = apiClient(stack.url, key);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await api('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1 }) })).body.id);
    for (const job of await stack.apiResources.deps.db.job.findMany({ where: { id: { in: ids } }, select: { id: true, tenantId: true } })) tenantOf.set(job.id, job.tenantId);
    return ids;
  }

  const tenantOf = new Map<string, string>();

  /** Stores a progress event of a job and publishes it, as the worker does (no SELECT); its seq. */
  async function progress(jobId: string): Promise<number> {
    const record = await appendJobEvent(stack.apiResources.deps.db, jobId, { type: 'progress', node: '3', value: 1, max: 2, overall: 0.5 } as never);
    await publisher.publishEvent({ ...record, tenantId: tenantOf.get(jobId)! });
    return record.seq;
  }

  async function lastSeqs(ids: string[]): Promise<Map<string, number>> {
    const rows = await stack.apiResources.deps.db.job.findMany({ where: { id: { in: ids } }, select: { id: true, lastSeq: true } });
    return new Map(rows.map((r) => [r.id, r.lastSeq]));
  }

  /** The gateway's count of messages sent (gantry_ws_messages_sent_total). */
  async function sentCount(): Promise<number> {
    const metric = await stack.apiResources.deps.metrics.getSingleMetric('gantry_ws_messages_sent_total')?.get();
    return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
  }

  async function connectReady(key: string, n: number): Promise<StreamClient[]> {
    const made = await Promise.all(Array.from({ length: n }, () => StreamClient.connect(stack.url, { key })));
    clients.push(...made);
    await Promise.all(made.map((c) => c.next((m) => m.type === 'ready')));
    return made;
  }

  /** Per job, what a socket got after its snapshot: the snapshot's lastSeq, then every seq after it once. */
  function expectSnapshotThenDense(c: StreamClient, jobIds: string[], stored: Map<string, number>): void {
    for (const id of jobIds) {
      const snapshots = c.messages.filter((m) => m.type === 'snapshot' && m.job.id === id);
      expect(snapshots).toHaveLength(1);
      const at = c.messages.indexOf(snapshots[0]);
      const before = c.messages.slice(0, at).filter((m) => m.type === 'event' && m.jobId === id);
      expect(before).toEqual([]);
      const after = c.events(id).map((e) => e.seq);
      const from = snapshots[0].lastSeq as number;
      expect(after).toEqual(Array.from({ length: stored.get(id)! - from }, (_, i) => from + 1 + i));
    }
  }

  it('K sockets subscribing at once share one snapshot read; each gets every snapshot, then every event once, even those stored or published during the read', async () => {
    const key = await tenantKey('storm-a');
    const jobs = await submit(key, 5);
    await progress(jobs[0]!);
    await progress(jobs[0]!);
    // A job that ended is no snapshot.
    await apiClient(stack.url, key)('POST', `/api/v1/jobs/${jobs[4]}/cancel`);
    const active = jobs.slice(0, 4);
    const sockets = await connectReady(key, 40);
    // Follows one job by itself: shows when the hub handed out an event (the `all` sockets get it in the same round).
    const [observer] = await connectReady(key, 1);
    observer!.send({ type: 'subscribe', jobId: jobs[2] });
    await observer!.next((m) => m.type === 'subscribed');
    // Around the shared read: one event stored and published as it starts (the snapshot shows it:
    // its live copy must not come again), one stored and published after it read (the snapshot
    // does not show it: it must come live, after the snapshot, once).
    let afterRead = 0;
    aroundNextRead = {
      before: async () => void (await progress(jobs[1]!)),
      after: async () => {
        afterRead = await progress(jobs[2]!);
        // Handed out by the hub (to the waiting sockets too) before the read returns.
        await observer!.next((m) => m.type === 'event' && m.seq === afterRead);
      },
    };
    jobSelects = 0;
    snapshotReads = 0;
    const sent0 = await sentCount();
    const received0 = [...sockets, observer!].reduce((sum, c) => sum + c.messages.length, 0);
    for (const c of sockets) c.send({ type: 'subscribe', all: true });
    await Promise.all(sockets.map((c) => waitUntil(async () => (c.messages.filter((m) => m.type === 'snapshot').length >= active.length && c.events(jobs[2]!).some((e) => e.seq === afterRead) ? true : undefined))));
    expect(snapshotReads).toBeGreaterThanOrEqual(1);
    expect(snapshotReads).toBeLessThanOrEqual(2); // one in flight, one for those who asked meanwhile
    expect(jobSelects).toBe(snapshotReads); // nothing per socket or per job (no replay read)
    // A live event afterwards reaches every socket once.
    const live = await progress(jobs[3]!);
    await Promise.all(sockets.map((c) => c.next((m) => m.type === 'event' && m.jobId === jobs[3] && m.seq === live)));
    // Counted as the messages they are (the snapshots go out joined in one write per socket).
    expect((await sentCount()) - sent0).toBe([...sockets, observer!].reduce((sum, c) => sum + c.messages.length, 0) - received0);
    const stored = await lastSeqs(active);
    for (const c of sockets) {
      expect(c.messages.filter((m) => m.type === 'snapshot').map((m) => m.job.id)).toEqual([...active].reverse()); // newest first
      expectSnapshotThenDense(c, active, stored);
      expect(c.messages.some((m) => JSON.stringify(m).includes(jobs[4]!))).toBe(false);
    }
    // The snapshot is the job as GET /jobs/{id} shows it (less the queue estimate).
    for (const id of active) {
      const { queue: _queue, ...view } = (await apiClient(stack.url, key)('GET', `/api/v1/jobs/${id}`)).body;
      expect(sockets[7]!.messages.find((m) => m.type === 'snapshot' && m.job.id === id).job).toEqual(view);
    }
  });

  it("shares a read only between sockets of one tenant: none sees another tenant's jobs or events", async () => {
    const keyA = await tenantKey('storm-b');
    const keyB = await tenantKey('storm-c');
    const jobsA = await submit(keyA, 3);
    const jobsB = await submit(keyB, 2);
    const socketsA = await connectReady(keyA, 20);
    const socketsB = await connectReady(keyB, 20);
    snapshotReads = 0;
    jobSelects = 0;
    for (let i = 0; i < 20; i++) {
      socketsA[i]!.send({ type: 'subscribe', all: true });
      socketsB[i]!.send({ type: 'subscribe', all: true });
    }
    const snapshots = (c: StreamClient) => c.messages.filter((m) => m.type === 'snapshot').map((m) => m.job.id);
    await Promise.all(socketsA.map((c) => waitUntil(async () => (snapshots(c).length >= 3 ? true : undefined))));
    await Promise.all(socketsB.map((c) => waitUntil(async () => (snapshots(c).length >= 2 ? true : undefined))));
    expect(snapshotReads).toBeGreaterThanOrEqual(2);
    expect(snapshotReads).toBeLessThanOrEqual(4);
    expect(jobSelects).toBe(snapshotReads);
    const seqA = await progress(jobsA[0]!);
    const seqB = await progress(jobsB[0]!);
    await Promise.all(socketsA.map((c) => c.next((m) => m.type === 'event' && m.seq === seqA && m.jobId === jobsA[0])));
    await Promise.all(socketsB.map((c) => c.next((m) => m.type === 'event' && m.seq === seqB && m.jobId === jobsB[0])));
    const stored = await lastSeqs([...jobsA, ...jobsB]);
    for (const c of socketsA) {
      expect(snapshots(c)).toEqual([...jobsA].reverse());
      expectSnapshotThenDense(c, jobsA, stored);
      expect(jobsB.some((id) => JSON.stringify(c.messages).includes(id))).toBe(false);
    }
    for (const c of socketsB) {
      expect(snapshots(c)).toEqual([...jobsB].reverse());
      expectSnapshotThenDense(c, jobsB, stored);
      expect(jobsA.some((id) => JSON.stringify(c.messages).includes(id))).toBe(false);
    }
  });

  it('a failed shared read reaches each waiting socket as an error, undoes its `all`, and subscribing again reads again', async () => {
    const key = await tenantKey('storm-e');
    const jobs = await submit(key, 2);
    const sockets = await connectReady(key, 10);
    aroundNextRead = {
      before: async () => {
        throw new Error('connection to 10.1.2.3 lost');
      },
      after: async () => undefined,
    };
    snapshotReads = 0;
    for (const c of sockets) c.send({ type: 'subscribe', all: true });
    const errors = await Promise.all(sockets.map((c) => c.next((m) => m.type === 'error')));
    expect(snapshotReads).toBe(1);
    for (const e of errors) expect(e).toEqual({ type: 'error', code: 'INTERNAL', message: 'An unexpected error occurred' });
    for (const c of sockets) expect(c.messages.some((m) => m.type === 'snapshot')).toBe(false);
    // Not subscribed any more: a live event of the tenant reaches none of them.
    const [probe] = await connectReady(key, 1);
    probe!.send({ type: 'subscribe', jobId: jobs[0] });
    await probe!.next((m) => m.type === 'subscribed');
    const seq = await progress(jobs[0]!);
    await probe!.next((m) => m.type === 'event' && m.seq === seq);
    // Subscribing again is a new subscription (not only acknowledged): the snapshots come, then the events.
    for (const c of sockets) c.send({ type: 'subscribe', all: true });
    await Promise.all(sockets.map((c) => waitUntil(async () => (c.messages.filter((m) => m.type === 'snapshot').length >= 2 ? true : undefined))));
    const next = await progress(jobs[0]!);
    await Promise.all(sockets.map((c) => c.next((m) => m.type === 'event' && m.seq === next)));
    for (const c of sockets) expect(c.events(jobs[0]!).map((e) => e.seq)).toEqual([next]);
  });

  it('after `unsubscribe all`, a job its snapshot showed is still followed by itself, to its end (as before the shared read)', async () => {
    const key = await tenantKey('storm-d');
    const [shown] = await submit(key, 1);
    const [c] = await connectReady(key, 1);
    c!.send({ type: 'subscribe', all: true });
    await c!.next((m) => m.type === 'snapshot' && m.job.id === shown);
    // The hub's per-job sets do not hold an `all` socket's snapshot jobs (it gets the tenant's every event).
    const byJob = (stack.apiResources.hub as unknown as { byJob: Map<string, Set<unknown>> }).byJob;
    expect(byJob.has(shown!)).toBe(false);
    c!.send({ type: 'unsubscribe', all: true });
    await c!.next((m) => m.type === 'unsubscribed');
    expect(byJob.get(shown!)?.size).toBe(1);
    const seq = await progress(shown!);
    expect((await c!.next((m) => m.type === 'event' && m.jobId === shown)).seq).toBe(seq);
  });
});
