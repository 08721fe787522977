import type { Db } from '@gantry/db';

/** Largest number of label values per breakdown; the rest is summed under `other`. */
export const MAX_BREAKDOWN_SERIES = 50;
/** The model breakdown reads the workflows of at most this many of the oldest queued jobs. */
export const MODEL_SCAN_LIMIT = 5000;
const MAX_LABEL_LENGTH = 100;

export interface PendingGroup {
  key: string;
  jobs: number;
  oldestAgeSeconds: number;
}

/** Queued work as the autoscaler sees it (PostgreSQL is the source of truth for what waits). */
export interface PendingWork {
  total: number;
  oldestAgeSeconds: number;
  untagged: { jobs: number; oldestAgeSeconds: number };
  byTag: PendingGroup[];
  byModel: PendingGroup[];
}

interface Row {
  key: string | null;
  jobs: number;
  oldest: number | null;
}

/**
 * Reads the queued jobs' requirements from PostgreSQL: how many wait, the oldest's age, how many
 * need each backend tag, and which checkpoints the oldest `MODEL_SCAN_LIMIT` load. Label values
 * are bounded (tags are checked against registered backends at submit; both breakdowns keep their
 * `MAX_BREAKDOWN_SERIES` biggest values and sum the rest as `other`).
 */
export async function readPendingWork(db: Db): Promise<PendingWork> {
  const [totals] = await db.$queryRaw<{ jobs: number; untagged: number; oldest: number | null; oldest_untagged: number | null }[]>`
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
  const tags = await db.$queryRaw<Row[]>`
    SELECT tag AS key, count(*)::int AS jobs, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest
    FROM jobs CROSS JOIN LATERAL jsonb_array_elements_text(
      CASE WHEN jsonb_typeof(requirements->'tags') = 'array' THEN requirements->'tags' ELSE '[]'::jsonb END) AS tag
    WHERE status = 'queued'::"JobStatus"
    GROUP BY tag ORDER BY jobs DESC, tag`;
  const models = await db.$queryRaw<Row[]>`
    WITH oldest AS (
      -- created_at (not id): the planner then walks the status index, never the finished jobs' ids
      SELECT kind, workflow, created_at FROM jobs WHERE status = 'queued'::"JobStatus" ORDER BY created_at LIMIT ${MODEL_SCAN_LIMIT}
    )
    SELECT COALESCE(
             CASE WHEN kind IN ('txt2img'::"JobKind", 'img2img'::"JobKind") THEN workflow->>'model'
                  ELSE (SELECT n.value->'inputs'->>'ckpt_name' FROM jsonb_each(workflow) AS n
                        WHERE jsonb_typeof(n.value->'inputs'->'ckpt_name') = 'string' AND n.value->'inputs'->>'ckpt_name' <> '' LIMIT 1)
             END, 'default') AS key,
           count(*)::int AS jobs, EXTRACT(EPOCH FROM (now() - min(created_at)))::float8 AS oldest
    FROM oldest GROUP BY 1 ORDER BY jobs DESC, 1`;
  return {
    total: totals?.jobs ?? 0,
    oldestAgeSeconds: Math.max(0, totals?.oldest ?? 0),
    untagged: { jobs: totals?.untagged ?? 0, oldestAgeSeconds: Math.max(0, totals?.oldest_untagged ?? 0) },
    byTag: bounded(tags),
    byModel: bounded(models),
  };
}

/** The biggest groups, label values shortened; the rest summed as `other`. */
export function bounded(rows: Row[], max = MAX_BREAKDOWN_SERIES): PendingGroup[] {
  const groups = new Map<string, PendingGroup>();
  rows.forEach((row, i) => {
    const key = i < max ? (row.key ?? 'default').slice(0, MAX_LABEL_LENGTH) : 'other';
    const age = Math.max(0, row.oldest ?? 0);
    const g = groups.get(key);
    if (g) {
      g.jobs += row.jobs;
      g.oldestAgeSeconds = Math.max(g.oldestAgeSeconds, age);
    } else {
      groups.set(key, { key, jobs: row.jobs, oldestAgeSeconds: age });
    }
  });
  return [...groups.values()];
}
