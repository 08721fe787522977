/**
 * The synthetic publisher of `npm run bench:ws -- --synthetic-rate N` (not part of Gantry): job
 * events at a set rate, far above what the worker and the gpu-sims produce, so that the API's
 * fan-out is the bottleneck. Each event is what the worker's `record` does for a progress event:
 * appended to PostgreSQL first (jobs.last_seq + 1, a job_events row; one statement per tick for
 * all of the tick's events), then published with the product's EventPublisher (same channel, same
 * message: one PUBLISH per progress event, `publishedAt` set by it). The jobs are real rows (the
 * bench submits them through the API); GET /jobs/{id}/events and a resume with `since` find
 * every published event in the table, in order.
 *
 * IPC: `{synth: 'run', rate, seconds, jobIds}` publishes for that long, spread round-robin over
 * those jobs, and answers `{synthRan: {...}}`;
 * `{synth: 'count'}` answers `{synthCount: n}` (events published since start).
 */
import { EventPublisher, createRedis } from '@gantry/queue';
import pg from 'pg';

interface Job {
  id: string;
  tenantId: string;
}

interface Row {
  job_id: string;
  seq: number;
  at: Date;
  payload: { type: 'progress'; node: string; value: number; max: number; overall: number };
}

const TICK_MS = 10;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const redis = createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const publisher = new EventPublisher(redis, process.env.GANTRY_QUEUE_PREFIX ?? 'gantry');
let jobs: Job[] = [];
let nextJob = 0;
let published = 0;

/**
 * Appends `counts[i]` progress events to job `ids[i]` in one statement; the rows come back with
 * their sequence numbers and times. The payload is a progress event of the worker's shape.
 */
async function append(ids: string[], counts: number[]): Promise<Row[]> {
  const { rows } = await pool.query<Row>(
    `WITH d AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS d(id, k)),
     u AS (UPDATE jobs j SET last_seq = j.last_seq + d.k, updated_at = now() FROM d WHERE j.id = d.id RETURNING j.id, j.last_seq, d.k)
     INSERT INTO job_events (job_id, seq, type, payload)
     SELECT u.id, s, 'progress', jsonb_build_object('type', 'progress', 'node', '3', 'value', s % 20, 'max', 20, 'overall', (s % 20) / 20.0)
     FROM u, generate_series(u.last_seq - u.k + 1, u.last_seq) AS s
     RETURNING job_id, seq, created_at AS at, payload`,
    [ids, counts],
  );
  return rows;
}

/** One tick: `n` events spread round-robin over the jobs, stored, then published in seq order. */
async function tick(n: number): Promise<void> {
  const perJob = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const job = jobs[nextJob++ % jobs.length]!;
    perJob.set(job.id, (perJob.get(job.id) ?? 0) + 1);
  }
  const rows = await append([...perJob.keys()], [...perJob.values()]);
  const tenant = new Map(jobs.map((j) => [j.id, j.tenantId]));
  rows.sort((a, b) => (a.job_id === b.job_id ? a.seq - b.seq : a.job_id < b.job_id ? -1 : 1));
  // As the worker's JobDoor.record: the stored record plus the tenant, one PUBLISH per event.
  await Promise.all(
    rows.map((r) => publisher.publishEvent({ tenantId: tenant.get(r.job_id)!, jobId: r.job_id, seq: r.seq, at: r.at.toISOString(), event: r.payload })),
  );
  published += rows.length;
}

/** Publishes at `rate` events/s for `seconds`; a tick that falls behind catches up (bounded per tick). */
async function run(rate: number, seconds: number): Promise<{ published: number; seconds: number; ticks: number; lateTicks: number }> {
  const start = performance.now();
  const before = published;
  let due = 0;
  let ticks = 0;
  let lateTicks = 0;
  for (;;) {
    const elapsed = (performance.now() - start) / 1000;
    if (elapsed >= seconds) break;
    const want = Math.floor(rate * elapsed) - due;
    if (want > 0) {
      // A slow tick (a loaded machine) is caught up by the next ones, 100 ms worth at most each.
      const n = Math.min(want, Math.max(1, Math.ceil(rate / 10)));
      due += n;
      const t = performance.now();
      await tick(n);
      ticks += 1;
      if (performance.now() - t > TICK_MS) lateTicks += 1;
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  return { published: published - before, seconds: (performance.now() - start) / 1000, ticks, lateTicks };
}

/** The jobs to publish for, as stored (their tenant goes with every event). */
async function loadJobs(ids: string[]): Promise<Job[]> {
  const { rows } = await pool.query<{ id: string; tenant_id: string }>('SELECT id, tenant_id FROM jobs WHERE id = ANY($1::uuid[]) ORDER BY created_at', [ids]);
  if (rows.length !== ids.length) throw new Error(`${ids.length - rows.length} of the jobs are not in the database`);
  return rows.map((r) => ({ id: r.id, tenantId: r.tenant_id }));
}

async function main(): Promise<void> {
  process.on('message', (msg: { synth?: string; rate?: number; seconds?: number; jobIds?: string[] }) => {
    if (msg?.synth === 'run') {
      loadJobs(msg.jobIds ?? []).then((loaded) => {
        jobs = loaded;
        nextJob = 0;
        return run(msg.rate!, msg.seconds!);
      }).then(
        (r) => process.send?.({ synthRan: r }),
        (err: unknown) => process.send?.({ synthRan: { error: String(err) } }),
      );
    } else if (msg?.synth === 'count') process.send?.({ synthCount: published });
  });
  const stop = (): void => {
    redis.disconnect();
    void pool.end().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // The IPC channel is unref'd by the preloaded probe: keep running until stopped.
  setInterval(() => undefined, 1 << 30);
  process.send?.({ synthReady: true });
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
