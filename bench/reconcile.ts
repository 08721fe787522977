/**
 * What the queue reconciler costs and how fast it rebuilds a lost queue, against the raw work in
 * the same run (bench/README.md, "Queue reconciler").
 *
 *   npm run bench:reconcile                 20,000 queued jobs
 *   npm run bench:reconcile -- --jobs 100000
 *
 * 1. steady state: every queued job has its BullMQ entry; one reconciler pass (PostgreSQL page +
 *    one liveness script per 500 ids) vs raw: one SELECT of every queued id + one pipelined EXISTS
 *    per id.
 * 2. Redis came back empty: one pass queues every job again (a generation bump in PostgreSQL and an
 *    add in BullMQ per job) vs raw: one BullMQ addBulk of every job.
 * 3. the tenants' counts check every pass ends with (the kept counts in Redis against PostgreSQL's,
 *    `countActiveJobsByTenant`) vs raw: the same GROUP BY through node-postgres. The jobs are spread
 *    over `--tenants` tenants.
 * Figures, not assertions. Needs PostgreSQL and Redis like `npm test`.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { countActiveJobsByTenant, createPrisma, poolOf } from '@gantry/db';
import { QUEUE_NAMES } from '@gantry/domain';
import { JobDoor } from '@gantry/jobs';
import { silentLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { EventPublisher, TenantJobCounts, createRenderQueue, renderEntryId, toBullPriority } from '@gantry/queue';
import { createTestDatabase, TEST_REDIS_URL } from '@gantry/testing';
import { QueueReconciler } from '../apps/worker/src/reconcile/queue-reconciler.js';
import { runMain } from './lib/run-main.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '20000' }, tenants: { type: 'string', default: '50' } } });
const JOBS = Number(values.jobs);
const TENANTS = Math.max(1, Number(values.tenants));
const COUNT_ROUNDS = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await run();
  return [result, Number(process.hrtime.bigint() - start) / 1e6];
}

async function main(): Promise<void> {
  const database = await createTestDatabase();
  const db = createPrisma(database.url);
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = `gantry-bench-${randomUUID().slice(0, 8)}`;
  const queue = createRenderQueue({ connection: redis, prefix });
  const logger = silentLogger();
  const jobs = new JobDoor({ db, publisher: new EventPublisher(redis, prefix), metrics: createMetricsRegistry('worker', { processMetrics: false }), logger, queue, onWebhookDelivery: () => undefined });
  // As the worker runs it: every pass ends with the tenants' counts check (the counts are kept).
  const counts = new TenantJobCounts(redis, prefix);
  const reconciler = new QueueReconciler({ db, redis, prefix, jobs, logger, counts, intervalMs: 0, graceMs: 0, staleMs: 20_000, fullEveryMs: 0 });
  // Defaults: full passes once a minute; in between only jobs changed in the last 2 minutes.
  const between = new QueueReconciler({ db, redis, prefix, jobs, logger, counts, intervalMs: 0, graceMs: 0, staleMs: 20_000, fullEveryMs: 3_600_000 });
  try {
    const tenants: string[] = [];
    for (let t = 0; t < TENANTS; t++) tenants.push((await db.tenant.create({ data: { name: `bench-${randomUUID()}` } })).id);
    await db.$executeRaw`
      INSERT INTO jobs (id, tenant_id, status, priority, kind, workflow, webhook_events, last_seq, created_at, updated_at, queued_at)
      SELECT gen_random_uuid(), (${tenants}::uuid[])[1 + i % ${TENANTS}], 'queued', 0, 'workflow', '{}'::jsonb, '{}', 1, now() - interval '10 minutes', now() - interval '10 minutes', now() - interval '10 minutes'
      FROM generate_series(1, ${JOBS}) AS i`;
    await db.$executeRaw`ANALYZE jobs`;
    for (const [tenantId, c] of await countActiveJobsByTenant(db)) await counts.seed(tenantId, c);
    const rows = await db.$queryRaw<{ id: string; tenant_id: string }[]>`SELECT id::text AS id, tenant_id::text AS tenant_id FROM jobs WHERE status = 'queued'`;
    const ids = rows.map((r) => r.id);
    const bulk = () => rows.map((r) => ({ name: 'render', data: { jobId: r.id, tenantId: r.tenant_id }, opts: { jobId: renderEntryId(r.id), priority: toBullPriority(0) } }));
    const drop = async () => {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:${QUEUE_NAMES.render}:*`, 'COUNT', 5000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    };

    const [, rawAdd] = await timed(async () => {
      for (let i = 0; i < ids.length; i += 5000) await queue.addBulk(bulk().slice(i, i + 5000));
    });
    // One process holds the reconciler lock at a time: each instance lets go before the other runs.
    await between.pass(); // sets the marker: later passes of it are the ones between full passes
    const [quick, quickMs] = await timed(() => between.pass());
    await between.stop();
    const [steady, passMs] = await timed(() => reconciler.pass());
    const [, rawCheck] = await timed(async () => {
      const rows = await db.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM jobs WHERE status = 'queued' ORDER BY id`;
      const pipeline = redis.pipeline();
      for (const r of rows) pipeline.exists(`${prefix}:${QUEUE_NAMES.render}:${r.id}`);
      await pipeline.exec();
    });
    // The counts check alone, interleaved with its raw GROUP BY (each pass ends with one).
    const pool = poolOf(db);
    const check: number[] = [];
    const rawGroup: number[] = [];
    for (let i = 0; i < COUNT_ROUNDS; i++) {
      const ours = () => timed(() => countActiveJobsByTenant(db));
      const raw = () => timed(() => pool.query("SELECT tenant_id, status, count(*)::int AS n FROM jobs WHERE status IN ('queued', 'dispatched', 'running') GROUP BY tenant_id, status"));
      if (i % 2 === 0) {
        check.push((await ours())[1]);
        rawGroup.push((await raw())[1]);
      } else {
        rawGroup.push((await raw())[1]);
        check.push((await ours())[1]);
      }
    }
    await drop();
    const [rebuilt, rebuildMs] = await timed(() => reconciler.pass());

    const row = (what: string, ms: number, raw: number, note: string) =>
      console.log(`| ${what} | ${ms.toFixed(0)} ms | ${raw.toFixed(0)} ms | ${(ms / raw).toFixed(2)}x | ${note} |`);
    console.log(`\nqueue reconciler, ${JOBS} queued jobs of ${TENANTS} tenants (PostgreSQL + Redis on this machine)\n`);
    console.log('| figure | reconciler | raw in the same run | ratio | |');
    console.log('|---|---|---|---|---|');
    row('full pass, nothing lost', passMs, rawCheck, `checked ${steady?.checked}, requeued ${steady?.requeued}; raw: SELECT ids + pipelined EXISTS`);
    row('pass between full ones (every 5 s)', quickMs, rawCheck, `checked ${quick?.checked} (full: ${quick?.full})`);
    row('pass after Redis came back empty', rebuildMs, rawAdd, `requeued ${rebuilt?.requeued}; raw: addBulk of every entry`);
    row(`tenants' counts check (in every pass), median of ${COUNT_ROUNDS}`, median(check), median(rawGroup), 'countActiveJobsByTenant; raw: the same GROUP BY through node-postgres');
  } finally {
    await reconciler.stop();
    await between.stop();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    redis.disconnect();
    await db.$disconnect();
    await database.drop();
  }
}

runMain(main);
