import { AppError, isTerminal } from '@gantry/domain';
import { findTenantJob, requestCancel, transitionJob, type JobRow } from '@gantry/db';
import { jobFinishMetrics } from '@gantry/metrics';
import { enqueueWebhookDelivery, removeQueuedRender } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

/**
 * Cancels a job. A queued job is canceled here and leaves the queue; a dispatched or running one
 * is flagged and the worker holding it is told to interrupt its backend, after which the worker
 * records `canceled`. Returns the job as it is now.
 */
export async function cancelJob(deps: ApiDeps, tenantId: string, jobId: string): Promise<JobRow> {
  const job = await findTenantJob(deps.db, tenantId, jobId);
  if (!job) throw new AppError('NOT_FOUND', 'No such job');
  if (isTerminal(job.status)) {
    throw new AppError('INVALID_STATE', `The job is already ${job.status}`, { details: { status: job.status } });
  }
  if (job.status === 'queued') {
    const done = await transitionJob(deps.db, jobId, 'canceled', {
      error: { code: 'CANCELED', message: 'Canceled by request' },
    });
    if (done) {
      jobFinishMetrics(deps.metrics).finished.inc({ kind: job.kind, status: 'canceled' });
      // The `canceled` transition recorded the webhook delivery (if any) in the same statement.
      if (done.webhookDeliveryId) await enqueueWebhook(deps, done.webhookDeliveryId);
      await publishState(deps, done);
      await removeQueuedRender(deps.queue, jobId);
      return reload(deps, tenantId, jobId);
    }
    // A worker took it between our read and the update: fall through to the running path.
  }
  if (await requestCancel(deps.db, tenantId, jobId)) {
    await deps.publisher.publishCancel(jobId);
  }
  return reload(deps, tenantId, jobId);
}

async function publishState(deps: ApiDeps, t: NonNullable<Awaited<ReturnType<typeof transitionJob>>>): Promise<void> {
  await deps.publisher
    .publishEvent({ jobId: t.id, tenantId: t.tenantId, seq: t.seq, at: t.at.toISOString(), event: t.event as never })
    .catch((err: unknown) => deps.logger.warn({ err, jobId: t.id }, 'event publish failed'));
}

/** Best effort: a delivery not enqueued here stays pending and the workers' sweep enqueues it. */
async function enqueueWebhook(deps: ApiDeps, deliveryId: string): Promise<void> {
  await enqueueWebhookDelivery(deps.webhooks.queue, deliveryId).catch((err: unknown) =>
    deps.logger.warn({ err, deliveryId }, 'webhook delivery not enqueued; the sweep will pick it up'),
  );
}

async function reload(deps: ApiDeps, tenantId: string, jobId: string): Promise<JobRow> {
  const job = await findTenantJob(deps.db, tenantId, jobId);
  if (!job) throw new AppError('NOT_FOUND', 'No such job');
  return job;
}
