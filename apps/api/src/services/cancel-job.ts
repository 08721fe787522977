import { AppError, isTerminal } from '@gantry/domain';
import { findTenantJob, requestCancel, type JobRow } from '@gantry/db';
import { removeQueuedRender } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

/**
 * Cancels a job. A queued job is canceled here (through the job door) and leaves the queue; a
 * dispatched or running one is flagged and the worker holding it is told to interrupt its
 * backend, after which the worker records `canceled`. Returns the job as it is now.
 */
export async function cancelJob(deps: ApiDeps, tenantId: string, jobId: string): Promise<JobRow> {
  const job = await findTenantJob(deps.db, tenantId, jobId);
  if (!job) throw new AppError('NOT_FOUND', 'No such job');
  if (isTerminal(job.status)) {
    throw new AppError('INVALID_STATE', `The job is already ${job.status}`, { details: { status: job.status } });
  }
  if (job.status === 'queued') {
    const done = await deps.jobs.change(job, {
      to: 'canceled',
      error: { code: 'CANCELED', message: 'Canceled by request' },
      onlyFrom: ['queued'],
    });
    if (done) {
      await removeQueuedRender(deps.queue, jobId, job.queueSeq).catch((err: unknown) =>
        deps.logger.warn({ err, jobId }, 'canceled job not removed from the queue; its worker will skip it'),
      );
      return reload(deps, tenantId, jobId);
    }
    // A worker took it between our read and the update: fall through to the running path.
  }
  if (await requestCancel(deps.db, tenantId, jobId)) {
    await deps.publisher.publishCancel(jobId);
  }
  return reload(deps, tenantId, jobId);
}

async function reload(deps: ApiDeps, tenantId: string, jobId: string): Promise<JobRow> {
  const job = await findTenantJob(deps.db, tenantId, jobId);
  if (!job) throw new AppError('NOT_FOUND', 'No such job');
  return job;
}
