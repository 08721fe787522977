import { transitionJob, type JobRow } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { WorkerDeps } from './context.js';

/**
 * A job that BullMQ hands out while the database says dispatched/running was held by a worker
 * that died (BullMQ's stalled-job check gave it back). Its prompt may still run on the backend:
 * interrupt it there, then put the job back to `queued` so this worker runs it afresh.
 * Returns the job to run, or null when it should not run (already moved on).
 */
export async function recoverOrphan(deps: WorkerDeps, job: JobRow, log: Logger): Promise<JobRow | null> {
  log.warn({ status: job.status, backend: job.backendId }, 'recovering a job whose worker was lost');
  const member = job.backendId ? deps.fleet.member(job.backendId) : undefined;
  if (member && job.promptId) {
    await member.driver.interrupt(job.promptId).catch((err: unknown) => {
      log.warn({ err, backend: job.backendId }, 'could not interrupt the orphaned prompt');
    });
  }
  const requeued = await transitionJob(deps.db, job.id, 'queued', { backendId: null });
  if (!requeued) return null;
  await deps.publisher
    .publishEvent({ jobId: job.id, tenantId: job.tenantId, seq: requeued.seq, at: requeued.at.toISOString(), event: requeued.event as never })
    .catch(() => undefined);
  return { ...job, status: 'queued', backendId: null, cancelRequested: requeued.cancelRequested };
}
