import { AppError, uuidv7, type SubmitJobInput } from '@gantry/domain';
import { countActiveJobs, findJobByIdempotencyKey, insertJob, isUniqueViolation, type JobRow } from '@gantry/db';
import { jobSubmitMetrics } from '@gantry/metrics';
import { enqueueRender } from '@gantry/queue';
import type { ApiDeps } from '../context.js';
import { assertRunnable } from './check-runnable.js';
import { checkWebhook } from './check-webhook.js';
import { requestHash } from './request-hash.js';

export interface SubmitResult {
  job: JobRow;
  /** True when an Idempotency-Key matched an earlier submit and that job is returned. */
  replayed: boolean;
}

/**
 * Persists a job and enqueues it. With an idempotency key, a repeat of the same request returns
 * the first job; the same key with a different body is refused. `retryOf`: the job this one
 * retries (`POST /jobs/{id}/retry`); it is part of the request an idempotency key stands for.
 */
export async function submitJob(
  deps: ApiDeps,
  tenantId: string,
  input: SubmitJobInput,
  idempotencyKey: string | undefined,
  retryOf?: string,
): Promise<SubmitResult> {
  const hash = idempotencyKey ? requestHash(retryOf ? { retryOf, input } : input) : undefined;
  if (idempotencyKey) {
    const existing = await findJobByIdempotencyKey(deps.db, tenantId, idempotencyKey);
    if (existing) return replay(existing, hash);
  }
  const webhook = input.webhook ? await checkWebhook(deps.webhooks.policy, input.webhook) : undefined;
  await assertRunnable(deps.db, input);
  // Fair share: the job's rank among its tenant's waiting and running jobs orders it in the queue.
  const active = await countActiveJobs(deps.db, tenantId);
  if (active.queued >= deps.config.tenantMaxQueued) {
    throw new AppError('TENANT_QUEUE_FULL', `This tenant already has ${active.queued} queued jobs (limit ${deps.config.tenantMaxQueued})`, {
      details: { queued: active.queued, limit: deps.config.tenantMaxQueued },
    });
  }
  let job: JobRow;
  try {
    job = await insertJob(deps.db, {
      id: uuidv7(),
      tenantId,
      kind: input.txt2img ? 'txt2img' : 'workflow',
      workflow: input.txt2img ?? input.workflow,
      priority: input.priority,
      requirements: input.requirements,
      metadata: input.metadata,
      timeoutSeconds: input.timeoutSeconds,
      webhook,
      idempotencyKey,
      requestHash: hash,
      retryOf,
    });
  } catch (err) {
    // Two concurrent submits with one key: the loser returns the winner's job.
    if (idempotencyKey && isUniqueViolation(err)) {
      const winner = await findJobByIdempotencyKey(deps.db, tenantId, idempotencyKey);
      if (winner) return replay(winner, hash);
    }
    throw err;
  }
  try {
    await enqueueRender(deps.queue, { jobId: job.id, tenantId }, job.priority, active.queued + active.running);
  } catch (err) {
    // Not enqueued means not accepted: remove the row so a retry (same key) can succeed.
    await deps.db.job.delete({ where: { id: job.id } }).catch(() => undefined);
    throw new AppError('SERVICE_UNAVAILABLE', 'The job queue is unavailable; retry later', { cause: err });
  }
  jobSubmitMetrics(deps.metrics).submitted.inc({ kind: job.kind });
  // `all` watchers learn about the job at once (the row already holds this event as seq 1).
  await deps.publisher
    .publishEvent({ jobId: job.id, tenantId, seq: 1, at: job.createdAt.toISOString(), event: { type: 'state', status: 'queued', attempt: 0 } })
    .catch((err: unknown) => deps.logger.warn({ err, jobId: job.id }, 'queued event not published'));
  return { job, replayed: false };
}

function replay(existing: JobRow, hash: string | undefined): SubmitResult {
  if (existing.requestHash !== hash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
  }
  return { job: existing, replayed: true };
}
