import { readPendingWorkRows, type Db, type PendingWorkRow } from '@gantry/db';

/** Largest number of label values per breakdown; the rest is summed under `other`. */
export const MAX_BREAKDOWN_SERIES = 50;
/** The model breakdown reads the workflows of at most this many of the oldest queued jobs. */
const MODEL_SCAN_LIMIT = 5000;
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

/**
 * Reads the queued jobs' requirements from PostgreSQL: how many wait, the oldest's age, how many
 * need each backend tag, and which checkpoints the oldest `MODEL_SCAN_LIMIT` load. Label values
 * are bounded (tags are checked against registered backends at submit; both breakdowns keep their
 * `MAX_BREAKDOWN_SERIES` biggest values and sum the rest as `other`).
 */
export async function readPendingWork(db: Db): Promise<PendingWork> {
  const { totals, tags, models } = await readPendingWorkRows(db, MODEL_SCAN_LIMIT);
  return {
    total: totals?.jobs ?? 0,
    oldestAgeSeconds: Math.max(0, totals?.oldest ?? 0),
    untagged: { jobs: totals?.untagged ?? 0, oldestAgeSeconds: Math.max(0, totals?.oldest_untagged ?? 0) },
    byTag: bounded(tags),
    byModel: bounded(models),
  };
}

/** The biggest groups, label values shortened; the rest summed as `other`. */
export function bounded(rows: PendingWorkRow[], max = MAX_BREAKDOWN_SERIES): PendingGroup[] {
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
