/**
 * Seeds the reads benchmark's jobs straight into PostgreSQL with generate_series INSERTs (no
 * round trip per row): a few large tenants and one small one interleaved on one timeline, mixed
 * statuses, a `queued` event per job and a terminal one per finished job, an artifact per
 * succeeded job. Ids are UUIDv7-shaped (48-bit millisecond time first), so id order is time order
 * as in production.
 */
import pg from 'pg';

export interface SeedPlan {
  /** All jobs, small tenant included. */
  jobs: number;
  /** Tenant ids sharing the bulk round-robin. */
  large: string[];
  /** One tenant with a job every `smallEvery` jobs of the timeline. */
  small: string;
  smallEvery: number;
  /** The workflow stored in every job (its size is what a wide row costs). */
  workflow: unknown;
}

/** Rows per INSERT: one statement per chunk keeps each transaction and its WAL modest. */
const CHUNK = 100_000;

export async function seedJobs(databaseUrl: string, plan: SeedPlan, log: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SET synchronous_commit = off');
    // The newest job is a second old; one job per 100 ms before it (~28 hours at 1M): the last
    // 10 minutes (the wait estimate's window) hold a few thousand finished jobs.
    const newestMs = Date.now() - 1000;
    for (let from = 1; from <= plan.jobs; from += CHUNK) {
      const to = Math.min(plan.jobs, from + CHUNK - 1);
      await client.query(
        `INSERT INTO jobs (id, tenant_id, status, priority, kind, workflow, webhook_events, last_seq, attempts, progress,
                           backend_id, created_at, updated_at, started_at, finished_at, error_code, error_message)
         SELECT id, tenant, st::"JobStatus", 0, 'workflow', $4::jsonb, '{}', CASE WHEN st IN ('queued', 'running') THEN 1 ELSE 2 END,
                CASE WHEN st = 'queued' THEN 0 ELSE 1 END, CASE WHEN st = 'succeeded' THEN 1 ELSE 0 END,
                CASE WHEN st = 'queued' THEN NULL ELSE 'gpu-' || (i % 4) END,
                created, created, CASE WHEN st = 'queued' THEN NULL ELSE created + interval '2 s' END,
                CASE WHEN st IN ('queued', 'running') THEN NULL ELSE created + interval '30 s' END,
                CASE WHEN st = 'failed' THEN 'EXECUTION_ERROR' END, CASE WHEN st = 'failed' THEN 'node 3 raised' END
         FROM (
           SELECT i, created, r,
                  (lpad(to_hex((extract(epoch FROM created) * 1000)::bigint), 12, '0') || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid AS id,
                  CASE WHEN i % $5 = 0 THEN $6::uuid ELSE ($7::uuid[])[1 + (i % array_length($7::uuid[], 1))] END AS tenant,
                  CASE
                    -- the newest 0.3% (~5 minutes): still waiting or running; older ones finished
                    WHEN i > $3 * 0.997 THEN (CASE WHEN r < 20 THEN 'running' ELSE 'queued' END)
                    WHEN r < 7 THEN 'failed'
                    WHEN r < 10 THEN 'canceled'
                    ELSE 'succeeded'
                  END AS st
           FROM (SELECT i, to_timestamp(($8::bigint - ($3 - i) * 100) / 1000.0) AS created, md5(i::text) AS h,
                        -- a status draw independent of the tenant's (i % n) pattern
                        ('x' || substr(md5(i::text), 19, 4))::bit(16)::int % 100 AS r
                 FROM generate_series($1::int, $2::int) AS i) g
         ) s`,
        [from, to, plan.jobs, JSON.stringify(plan.workflow), plan.smallEvery, plan.small, plan.large, newestMs],
      );
      log(`  jobs ${to}/${plan.jobs}`);
    }
    await client.query(
      `INSERT INTO job_events (job_id, seq, type, payload, created_at)
       SELECT id, 1, 'state', '{"type":"state","status":"queued","attempt":0}'::jsonb, created_at FROM jobs`,
    );
    await client.query(
      `INSERT INTO job_events (job_id, seq, type, payload, created_at)
       SELECT id, 2, 'state', jsonb_build_object('type', 'state', 'status', status::text, 'attempt', 1), coalesce(finished_at, started_at) FROM jobs
       WHERE status <> 'queued'`,
    );
    log('  events');
    await client.query(
      `INSERT INTO artifacts (id, job_id, tenant_id, node_id, filename, content_type, bytes, sha256, storage_key, created_at)
       SELECT (substr(id::text, 1, 14) || 'a' || substr(id::text, 16))::uuid, id, tenant_id, '9', 'ComfyUI_00001_.png', 'image/png', 482113,
              md5(id::text) || md5(id::text), 'sha256/' || md5(id::text), finished_at
       FROM jobs WHERE status = 'succeeded'`,
    );
    log('  artifacts');
    await client.query('VACUUM ANALYZE jobs');
    await client.query('VACUUM ANALYZE job_events');
    await client.query('VACUUM ANALYZE artifacts');
    await client.query('VACUUM ANALYZE job_inputs');
  } finally {
    await client.end();
  }
}
