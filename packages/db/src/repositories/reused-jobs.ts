import { uuidv7 } from '@gantry/domain';
import type { Db } from './db-client.js';
import { transitionJob, type TransitionResult } from './job-transitions.js';
import { insertJob, type JobRow, type NewJob } from './jobs.js';

/** A job answered from an earlier result: its row as it now stands and the `succeeded` transition written with it. */
export interface ReusedJob {
  row: JobRow;
  transition: TransitionResult;
}

/**
 * Records `job` as answered from the newest succeeded job of its tenant with the same reuse key,
 * in one transaction: the job with its `queued` event, then `queued → succeeded` (through
 * transitionJob: its `output` events, state event with `reusedFrom`, webhook outbox row) with
 * artifact rows of its own that point to the source's stored blobs (same storage keys and
 * sha256). Null when there is no such job: the caller runs the job instead.
 *
 * The source row is locked `FOR SHARE` until the new rows are committed, and retention takes its
 * jobs `FOR UPDATE SKIP LOCKED`: either retention skips the source (and later sees its blobs
 * referenced by the new rows), or it holds it and this skips it for another match. So a blob a
 * reused job references is never deleted while the reused job exists.
 */
export async function insertReusedJob(db: Db, job: NewJob & { reuseKey: string }): Promise<ReusedJob | null> {
  return db.$transaction(async (tx) => {
    const sources = await tx.$queryRaw<{ id: string; reused_from: string | null }[]>`
      SELECT id::text AS id, reused_from::text AS reused_from FROM jobs
      WHERE tenant_id = ${job.tenantId}::uuid AND reuse_key = ${job.reuseKey} AND status = 'succeeded'
      ORDER BY id DESC
      LIMIT 1
      FOR SHARE SKIP LOCKED`;
    const source = sources[0];
    if (!source) return null;
    const artifacts = await tx.artifact.findMany({ where: { jobId: source.id }, orderBy: { id: 'asc' } });
    await insertJob(tx, job);
    const transition = await transitionJob(
      tx,
      job.id,
      'succeeded',
      {
        progress: 1,
        // The job that rendered it: a reuse of a reuse names the original run.
        reusedFrom: source.reused_from ?? source.id,
        outputs: artifacts.map((a) => ({
          id: uuidv7(),
          jobId: job.id,
          tenantId: job.tenantId,
          nodeId: a.nodeId,
          filename: a.filename,
          contentType: a.contentType,
          bytes: a.bytes,
          sha256: a.sha256,
          storageKey: a.storageKey,
        })),
      },
      ['queued'],
    );
    if (!transition) throw new Error(`reused job ${job.id} did not reach succeeded`);
    const row = await tx.job.findUniqueOrThrow({ where: { id: job.id } });
    return { row, transition };
  });
}
