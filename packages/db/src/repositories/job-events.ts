import type { JobEventBody, JobEventRecord } from '@gantry/domain';
import { Prisma } from '../generated/client.js';
import { rawRows } from '../pool-query.js';
import type { Db } from './db-client.js';

/**
 * Appends an event with the job's next sequence number (one statement, atomic with the counter).
 * `progress` also raises the job's stored progress, which never falls.
 */
export async function appendJobEvent(
  db: Db,
  jobId: string,
  event: JobEventBody,
  progress?: number,
): Promise<JobEventRecord> {
  const progressSet = progress === undefined ? Prisma.empty : Prisma.sql`, progress = GREATEST(progress, ${progress})`;
  const rows = await rawRows<{ seq: number; at: Date }>(db, Prisma.sql`
    WITH u AS (
      UPDATE jobs SET last_seq = last_seq + 1, updated_at = now() ${progressSet}
      WHERE id = ${jobId}::uuid RETURNING id, last_seq
    )
    INSERT INTO job_events (job_id, seq, type, payload)
    SELECT id, last_seq, ${event.type}, ${JSON.stringify(event)}::jsonb FROM u
    RETURNING seq, created_at AS at`);
  const row = rows[0];
  if (!row) throw new Error(`job ${jobId} does not exist`);
  return { jobId, seq: row.seq, at: row.at.toISOString(), event };
}

/** Events after `since`, in order, at most `limit`. */
export async function listJobEvents(db: Db, jobId: string, since: number, limit: number): Promise<JobEventRecord[]> {
  const rows = await db.jobEvent.findMany({
    where: { jobId, seq: { gt: since } },
    orderBy: { seq: 'asc' },
    take: limit,
  });
  return rows.map((r) => ({ jobId, seq: r.seq, at: r.createdAt.toISOString(), event: r.payload as unknown as JobEventBody }));
}
