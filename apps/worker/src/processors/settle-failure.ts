import { UnrecoverableError, type Job as BullJob } from 'bullmq';
import { AppError, toJobError, type RenderJobPayload } from '@gantry/domain';
import { findJobById, type JobRow } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { JobEventSink } from '../events/job-event-sink.js';
import { blameOf } from './failure-blame.js';
import type { WorkerDeps } from './context.js';

export type FailureOutcome = 'failed' | 'canceled' | 'skipped';

/**
 * Ends an attempt that did not succeed: canceled when the user asked; back to the queue (with the
 * reason as the job's `lastError`, and BullMQ's backoff) when the error is retryable and attempts
 * remain (MODEL_UNAVAILABLE also refreshes that backend's inventory); failed otherwise. Throws what BullMQ must see: the error itself for a retry,
 * UnrecoverableError for a failure.
 */
export async function settleFailure(
  deps: WorkerDeps,
  bullJob: BullJob<RenderJobPayload>,
  job: JobRow,
  cause: AppError,
  why: { canceled: boolean; timedOut: boolean },
  sink: JobEventSink,
  jobLog: Logger,
): Promise<FailureOutcome> {
  let log = jobLog;
  let error = cause;
  if (why.canceled) {
    await sink.change({ to: 'canceled', error: { code: 'CANCELED', message: 'Canceled by request' } });
    log.info('job canceled');
    return 'canceled';
  }
  const current = await deps.persist(() => findJobById(deps.db, job.id));
  const attempts = current?.attempts ?? 0;
  const backend = current?.backendId ?? null;
  if (backend) log = log.child({ backend });
  const blame = blameOf(error);
  const suspects = bullJob.data.suspectBackends ?? [];
  const nowSuspect = blame === 'either' && backend ? [...new Set([...suspects, backend])] : suspects;
  const poisoned = blame === 'either' && nowSuspect.length >= deps.config.poisonBackends;
  if (backend && (blame === 'backend' || (blame === 'either' && !poisoned && suspects.length === 0))) {
    // The backend misbehaved (or may have: the first time, it gets the blame): count it toward its
    // circuit breaker. A job that fails the same way on a second backend strikes nobody.
    deps.health.recordStrike(backend).catch(() => undefined);
  }
  if (backend && error.code === 'MODEL_UNAVAILABLE') {
    // The backend's inventory listed a model it turned out not to hold: the next probe (by any
    // worker) reads it again, so dispatch and submit stop counting on it. Meanwhile the retry
    // below excludes this backend.
    deps.health.requestInventoryRefresh(backend).catch((err: unknown) => log.warn({ err }, 'could not ask for an inventory refresh'));
    log.info({ models: (error.details as { models?: unknown } | undefined)?.models }, 'backend lacks a model the job names; its inventory will be refreshed');
  }
  if (poisoned) {
    error = new AppError('POISON_JOB', `The job made ${nowSuspect.length} backends fail (${error.code}: ${error.message}); it is not retried on more`, {
      details: { backends: nowSuspect, lastCode: error.code },
    });
  }
  if (error.retryable && attempts < deps.config.maxAttempts && !why.timedOut) {
    const requeued = await sink.change({
      to: 'queued',
      why: 'retry',
      lastError: { code: error.code, message: error.message, backend, attempt: attempts },
    });
    if (!requeued) return 'skipped';
    const exclude = [...new Set([...(bullJob.data.excludeBackends ?? []), ...(backend ? [backend] : [])])];
    const vram = backend ? deps.fleet.vramOf(backend) : null;
    const moreVram = error.code === 'OUT_OF_MEMORY' && vram !== null ? { moreVramThanMb: vram } : {};
    const suspectBackends = nowSuspect.length ? { suspectBackends: nowSuspect } : {};
    await bullJob.updateData({ ...bullJob.data, excludeBackends: exclude, ...moreVram, ...suspectBackends }).catch((err: unknown) => {
      // The entry is gone (Redis lost it): the reconciler queues the job again from PostgreSQL.
      log.warn({ err }, 'queue entry lost; the reconciler will queue the job again');
    });
    log.warn({ code: error.code, err: error, attempts }, 'attempt failed; retrying');
    throw error; // BullMQ schedules the retry with exponential backoff and jitter
  }
  await sink.change({ to: 'failed', error: toJobError(error) });
  log[error.code === 'INTERNAL' ? 'error' : 'warn']({ code: error.code, err: error, attempts }, 'job failed');
  throw new UnrecoverableError(`${error.code}: ${error.message}`);
}

/** The error a job ends with when its run timed out. */
export function timeoutError(job: JobRow): AppError {
  return new AppError('JOB_TIMEOUT', `The job ran longer than its ${job.timeoutSeconds}s timeout`);
}
