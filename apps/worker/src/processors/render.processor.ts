import { DelayedError, UnrecoverableError, type Job as BullJob } from 'bullmq';
import {
  AppError,
  isTerminal,
  renderJobPayloadSchema,
  toAppError,
  toJobError,
  type JobRequirements,
  type RenderJobPayload,
} from '@gantry/domain';
import { findJobById, transitionJob, type JobRow } from '@gantry/db';
import { acquireBackend, NoSlotError } from '../dispatch/acquire-backend.js';
import { kindsFor } from '../dispatch/driver-factory.js';
import { jobModel } from './job-input.js';
import { WorkerShutdown } from './worker-shutdown.js';
import { recordJobFinished, recordJobRetry } from '../metrics/job-outcomes.js';
import { JobEventSink } from '../events/job-event-sink.js';
import type { WorkerDeps } from './context.js';
import { recoverOrphan } from './recover-orphan.js';
import { runOnBackend } from './run-on-backend.js';

/** Failures that say something about the backend (not about the workflow or the user). */
const STRIKE_CODES = new Set<string>(['BACKEND_UNAVAILABLE', 'BACKEND_STALLED', 'BACKEND_ERROR']);

export type RenderOutcome = 'succeeded' | 'failed' | 'canceled' | 'skipped' | 'retrying';

/**
 * BullMQ processor for render jobs. The database decides what happens: a job that is already
 * terminal or canceled is skipped; an orphan of a dead worker is recovered; otherwise one attempt
 * runs. Retryable failures go back to `queued` and are rethrown so BullMQ retries with backoff;
 * everything else ends the job here (UnrecoverableError stops BullMQ's retries).
 */
export async function processRender(deps: WorkerDeps, bullJob: BullJob<RenderJobPayload>, token?: string): Promise<RenderOutcome> {
  const payload = renderJobPayloadSchema.parse(bullJob.data);
  const log = deps.logger.child({ jobId: payload.jobId, attempt: bullJob.attemptsMade + 1 });
  let job = await findJobById(deps.db, payload.jobId);
  if (!job || isTerminal(job.status)) return 'skipped';
  if (job.status !== 'queued') {
    job = await recoverOrphan(deps, job, log);
    if (!job) return 'skipped';
  }

  const controller = deps.cancels.register(job.id);
  const timeout = job.timeoutSeconds ? AbortSignal.timeout(job.timeoutSeconds * 1000) : null;
  const signal = timeout ? AbortSignal.any([controller.signal, timeout]) : controller.signal;
  const sink = new JobEventSink(deps.db, deps.publisher, log, job, deps.config.progressIntervalMs, (id) => deps.webhooks.enqueue(id));
  try {
    if (job.cancelRequested) controller.abort(new Error('canceled'));
    const lease = await acquireBackend(deps.fleet, {
      tenantId: job.tenantId,
      kinds: kindsFor(job.kind),
      requirements: job.requirements as JobRequirements | null,
      exclude: new Set(payload.excludeBackends ?? []),
      moreVramThanMb: payload.moreVramThanMb,
      model: jobModel(job),
      tenantCap: deps.config.tenantMaxRunning,
      waitMs: deps.config.slotWaitMs,
      signal,
    });
    const result = await runOnBackend(deps, job, lease, controller, signal, sink, log);
    return result === 'succeeded' ? 'succeeded' : 'skipped';
  } catch (err) {
    if (controller.signal.reason instanceof WorkerShutdown && token) {
      // Interrupted by our own shutdown: back to queued, for another worker, right away.
      await sink.drain();
      await sink.transition(() => transitionJob(deps.db, job.id, 'queued', { backendId: null }));
      await bullJob.moveToDelayed(Date.now(), token);
      log.info('handed back to the queue at shutdown');
      throw new DelayedError();
    }
    if (err instanceof NoSlotError && token) {
      // No GPU free for it here: hand it back (still queued, same priority) for any worker to take.
      await bullJob.moveToDelayed(Date.now() + 50 + Math.floor(Math.random() * 100), token);
      throw new DelayedError();
    }
    await sink.drain();
    return await settleFailure(deps, bullJob, job, err, { canceled: controller.signal.aborted, timedOut: timeout?.aborted ?? false }, sink);
  } finally {
    deps.cancels.unregister(job.id, controller);
  }
}

async function settleFailure(
  deps: WorkerDeps,
  bullJob: BullJob<RenderJobPayload>,
  job: JobRow,
  err: unknown,
  why: { canceled: boolean; timedOut: boolean },
  sink: JobEventSink,
): Promise<RenderOutcome> {
  let log = deps.logger.child({ jobId: job.id });
  if (why.canceled) {
    const canceled = await sink.transition(() =>
      transitionJob(deps.db, job.id, 'canceled', { error: { code: 'CANCELED', message: 'Canceled by request' } }),
    );
    await recordJobFinished(deps, job, canceled);
    log.info('job canceled');
    return 'canceled';
  }
  const error = why.timedOut
    ? new AppError('JOB_TIMEOUT', `The job ran longer than its ${job.timeoutSeconds}s timeout`)
    : toAppError(err);
  const current = await findJobById(deps.db, job.id);
  const attempts = current?.attempts ?? 0;
  if (current?.backendId) log = log.child({ backend: current.backendId });
  if (current?.backendId && STRIKE_CODES.has(error.code)) {
    // The backend, not the job, misbehaved: count it toward that backend's circuit breaker.
    deps.health.recordStrike(current.backendId).catch(() => undefined);
  }
  if (error.retryable && attempts < deps.config.maxAttempts && !why.timedOut) {
    const requeued = await sink.transition(() => transitionJob(deps.db, job.id, 'queued', { backendId: null }));
    if (requeued) {
      const failed = current?.backendId;
      const exclude = [...new Set([...(bullJob.data.excludeBackends ?? []), ...(failed ? [failed] : [])])];
      const vram = failed ? deps.fleet.vramOf(failed) : null;
      const moreVram = error.code === 'OUT_OF_MEMORY' && vram !== null ? { moreVramThanMb: vram } : {};
      await bullJob.updateData({ ...bullJob.data, excludeBackends: exclude, ...moreVram });
      recordJobRetry(deps, error.code);
      log.warn({ code: error.code, err: error, attempts }, 'attempt failed; retrying');
      throw error; // BullMQ schedules the retry with exponential backoff and jitter
    }
    return 'skipped';
  }
  const ended = await sink.transition(() => transitionJob(deps.db, job.id, 'failed', { error: toJobError(error) }));
  await recordJobFinished(deps, job, ended);
  log[error.code === 'INTERNAL' ? 'error' : 'warn']({ code: error.code, err: error, attempts }, 'job failed');
  throw new UnrecoverableError(`${error.code}: ${error.message}`);
}
