import type { Db } from './db-client.js';

/** One group of queued jobs: its key (a tag, a checkpoint), how many, the oldest's age in seconds. */
export interface PendingWorkRow {
  key: string | null;
  jobs: number;
  oldest: number | null;
}

export interface PendingWorkTotals {
  jobs: number;
  untagged: number;
  oldest: number | null;
  oldest_untagged: number | null;
}

/**
 * The queued jobs' requirements as the autoscaler reads them (PostgreSQL is the source of truth
 * for what waits): totals (all and untagged, with the oldest's age), the count per required tag,
 * and the checkpoint each of the oldest `modelScanLimit` jobs loads.
 */
export async function readPendingWorkRows(db: Db, modelScanLimit: number): Promise<{ totals: PendingWorkTotals | undefined; tags: PendingWorkRow[]; models: PendingWorkRow[] }> {
  const [totals] = await db.$queryRaw<PendingWorkTotals[]>`
    WITH queued AS (
      SELECT created_at,
             COALESCE(jsonb_array_length(CASE WHEN jsonb_typeof(requirements->'tags') = 'array' THEN requirements->'tags' END), 0) = 0 AS untagged
      FROM jobs WHERE status = 'queued'::"JobStatus"
    )
    SELECT count(*)::int AS jobs,
           count(*) FILTER (WHERE untagged)::int AS untagged,
           EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest,
           EXTRACT(EPOCH FROM (now() - min(created_at) FILTER (WHERE untagged)))::float8 AS oldest_untagged
    FROM queued`;
  const tags = await db.$queryRaw<PendingWorkRow[]>`
    SELECT tag AS key, count(*)::int AS jobs, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest
    FROM jobs CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(requirements->'tags') = 'array' THEN requirements->'tags' ELSE '[]'::jsonb END) AS tag
    WHERE status = 'queued'::"JobStatus"
    GROUP BY tag ORDER BY jobs DESC, tag`;
  const models = await db.$queryRaw<PendingWorkRow[]>`
    WITH oldest AS (
      -- created_at (not id): the planner then walks the status index, never the finished jobs' ids
      SELECT kind, workflow, created_at FROM jobs WHERE status = 'queued'::"JobStatus" ORDER BY created_at LIMIT ${modelScanLimit}
    )
    SELECT COALESCE(
             CASE WHEN kind IN ('txt2img'::"JobKind", 'img2img'::"JobKind") THEN workflow->>'model'
                  ELSE (SELECT n.value->'inputs'->>'ckpt_name' FROM jsonb_each(workflow) AS n
                        WHERE jsonb_typeof(n.value->'inputs'->'ckpt_name') = 'string' AND n.value->'inputs'->>'ckpt_name' <> '' LIMIT 1)
             END, 'default') AS key,
           count(*)::int AS jobs, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest
    FROM oldest GROUP BY 1 ORDER BY jobs DESC, 1`;
  return { totals, tags, models };
}
