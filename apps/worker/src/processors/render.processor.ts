import { randomUUID } from 'node:crypto';
import type { Job as BullJob } from 'bullmq';
import {
  AppError,
  isTerminal,
  renderJobPayloadSchema,
  toAppError,
  type RenderJobPayload,
} from '@gantry/domain';
import { claimLostJob, heartbeatAgeMs, isTransientDbError, readJobRow, releaseHeldJob, type JobRow } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import { jobRecoveryMetrics } from '@gantry/metrics';
import { acquireBackend, NoSlotError } from '../dispatch/acquire-backend.js';
import type { QueuePlace } from '../dispatch/slot-turns.js';
import { JobEventSink } from '../events/job-event-sink.js';
import { askBackend, type AskSituation } from './ask-backend.js';
import type { WorkerDeps } from './context.js';
import { handBack } from './hand-back.js';
import { holdSlot, letGo, occupySlot, type HeldSlot } from './held-slot.js';
import { jobModel, jobNeedOf } from './job-input.js';
import { OutcomeNotRecorded } from './record-success.js';
import { runOnBackend, type Dispatched, type SubmittedPrompt } from './run-on-backend.js';
import { settleFailure, timeoutError } from './settle-failure.js';
import { WorkerShutdown } from './worker-shutdown.js';

/** Errors that are the backend's final word on the prompt: asking it again would tell nothing new. */
const DEFINITIVE_CODES = new Set<string>(['WORKFLOW_INVALID', 'MODEL_UNAVAILABLE', 'EXECUTION_ERROR', 'OUT_OF_MEMORY', 'NO_OUTPUTS']);

/** How many stale periods a lost job waits for a worker that can ask its backend before anyone takes it. */
const FOREIGN_BACKEND_FACTOR = 3;

export type RenderOutcome = 'succeeded' | 'failed' | 'canceled' | 'skipped' | 'retrying';

/**
 * BullMQ processor for render jobs. PostgreSQL decides what happens: a job that is already
 * terminal is skipped; a dispatched/running one is recovered only when its worker is gone (its
 * heartbeat is stale, or it names this worker, which holds no attempt of it), by asking its
 * backend first; a queued one runs one attempt. A job's queue entry may be delivered more than
 * once (the reconciler re-enqueues lost ones): the guarded transitions make every pickup but one
 * a no-op.
 */
export async function processRender(deps: WorkerDeps, bullJob: BullJob<RenderJobPayload>, token?: string): Promise<RenderOutcome> {
  const payload = renderJobPayloadSchema.parse(bullJob.data);
  const log = deps.logger.child({ jobId: payload.jobId, attempt: bullJob.attemptsMade + 1 });
  const place = deps.fleet.turns.placeOf(bullJob.priority); // taken now: its turn for a slot follows queue order
  if (payload.take && !deps.cancels.holds(payload.jobId)) {
    // Its GPU leased from the entry alone, then dispatched and read in one statement; a job that was
    // not queued any more (ended, or held by a worker) is read and judged below, its slot let go.
    const outcome = await runAttempt(deps, bullJob, token, null, log, place);
    if (outcome !== 'by-row') return outcome;
  }
  const job = await deps.persist(() => readJobRow(deps.db, payload.jobId));
  if (!job || isTerminal(job.status)) return 'skipped';
  if (deps.cancels.holds(job.id)) return 'skipped'; // this worker runs it already: a second entry of the job
  if (job.status === 'queued') return settled(await runAttempt(deps, bullJob, token, job, log, place));
  // Only a worker that can ask the job's backend recovers it while a worker that can may come; a
  // job no such worker took within FOREIGN_BACKEND_FACTOR stale periods (its backend left the
  // fleet, or lives on a node whose workers all died) is taken by anyone and runs again.
  const canAsk = job.backendId !== null && deps.fleet.member(job.backendId) !== undefined;
  const age = await deps.persist(() => heartbeatAgeMs(deps.db, job.id));
  const stale = age === null || age >= deps.config.staleMs;
  const mine = job.workerId === deps.workerId;
  if (!stale && !mine) {
    // Its worker is alive. Should that worker die, the reconciler brings the job back.
    log.debug({ status: job.status, heldBy: job.workerId }, 'job held by a live worker; entry dropped');
    return 'skipped';
  }
  if (!canAsk && age !== null && age < deps.config.staleMs * FOREIGN_BACKEND_FACTOR) {
    log.info({ backend: job.backendId }, "lost job's backend is not in this worker's fleet; leaving it to a worker that can ask it");
    return token ? handBack(bullJob, token, Math.min(deps.config.staleMs, 2000), log) : 'skipped';
  }
  const claimed = await deps.persist(() =>
    claimLostJob(deps.db, job.id, deps.workerId, canAsk ? deps.config.staleMs : deps.config.staleMs * FOREIGN_BACKEND_FACTOR, mine),
  );
  if (!claimed) return 'skipped'; // another worker claimed it first, or it moved on
  return recoverLostJob(deps, bullJob, token, claimed, log, place);
}

/** An attempt of a job taken from its entry's `take` did not dispatch it (not queued any more, or an error before): judge it from its row. */
type AttemptOutcome = RenderOutcome | 'by-row';

/** The outcome of an attempt of a job read as queued: it was queued when it was dispatched, so always a RenderOutcome. */
function settled(outcome: AttemptOutcome): RenderOutcome {
  return outcome === 'by-row' ? 'skipped' : outcome;
}

/** An attempt with its job's row known: its events' sink, its timeout (from the entry's pickup) and the signal that ends it. */
interface Underway {
  job: JobRow;
  sink: JobEventSink;
  timeout: AbortSignal | null;
  signal: AbortSignal;
}

/** The attempt of `job` from its row, `elapsedMs` after the entry's pickup; `after`: a change committed before its sink (see JobEventSink). */
function underway(deps: WorkerDeps, job: JobRow, controller: AbortController, log: Logger, elapsedMs: number, after?: Promise<void>): Underway {
  const timeout = job.timeoutSeconds ? AbortSignal.timeout(Math.max(0, job.timeoutSeconds * 1000 - elapsedMs)) : null;
  return {
    job,
    sink: new JobEventSink(deps.jobs, log, job, deps.config.progressIntervalMs, deps.clock, after),
    timeout,
    signal: timeout ? AbortSignal.any([controller.signal, timeout]) : controller.signal,
  };
}

/**
 * One attempt of a queued job: lease a backend, run, settle. `known`: the job's row as read; null
 * for a job taken from its entry's `take` (payload.take): the lease is taken on the entry's need,
 * then the job is dispatched and its row read in one statement (JobDoor.commitTaken), one round
 * trip to PostgreSQL less before the prompt is sent; 'by-row' (its slot let go) when it was not
 * dispatched (not queued any more, or an error first): the caller reads the row and judges.
 */
async function runAttempt(
  deps: WorkerDeps,
  bullJob: BullJob<RenderJobPayload>,
  token: string | undefined,
  known: JobRow | null,
  log: Logger,
  place: QueuePlace,
): Promise<AttemptOutcome> {
  const payload = bullJob.data;
  const take = known ? null : (payload.take ?? null);
  if (!known && !take) throw new Error(`job ${payload.jobId}: an attempt needs its row or its entry's take`);
  const pickedUpAt = deps.clock.now();
  const controller = deps.cancels.register(payload.jobId);
  // Known from the start for a row read first (its timeout runs while it waits for a slot), else from the dispatch on.
  let attempt = known ? underway(deps, known, controller, log, 0) : null;
  const submitted: { prompt: SubmittedPrompt | null } = { prompt: null };
  let held: HeldSlot | null = null;
  try {
    if (known?.cancelRequested) controller.abort(new Error('canceled'));
    const lease = await acquireBackend(deps.fleet, {
      tenantId: payload.tenantId,
      need: known ? jobNeedOf(known) : take!.need,
      exclude: new Set(payload.excludeBackends ?? []),
      moreVramThanMb: payload.moreVramThanMb,
      model: known ? jobModel(known) : take!.model,
      tenantCap: deps.config.tenantMaxRunning,
      waitMs: deps.config.slotWaitMs,
      signal: attempt?.signal ?? controller.signal,
      clock: deps.clock,
      // The first take of the entry and one hand-back may wait for a faster GPU; later takes run where they can.
      mayWaitForFaster: bullJob.attemptsStarted <= 2,
      place,
    });
    held = holdSlot(deps, lease, log);
    let committed: Dispatched | null = null;
    if (!attempt) {
      const leasedAt = deps.clock.now();
      const promptId = randomUUID();
      const taken = await deps.jobs.commitTaken({ id: payload.jobId, tenantId: payload.tenantId }, { to: 'dispatched', backendId: lease.backendId, promptId, workerId: deps.workerId });
      if (!taken.result || !taken.row) return 'by-row';
      // Its later events go after the `dispatched` message, as through JobEventSink.commit.
      attempt = underway(deps, taken.row, controller, log, deps.clock.now() - pickedUpAt, taken.announced);
      committed = { promptId, result: taken.result, leasedAt };
    }
    const result = await runOnBackend(deps, attempt.job, held, controller, attempt.signal, attempt.sink, log, submitted, committed);
    return result === 'succeeded' ? 'succeeded' : 'skipped';
  } catch (err) {
    if (err instanceof NoSlotError && token) {
      // No GPU free for it here: hand it back (still queued, same priority) for any worker to take.
      return handBack(bullJob, token, 50 + Math.floor(Math.random() * 100), log);
    }
    if (!attempt) {
      // Taken from its entry and not dispatched: nothing was recorded. Stopped meanwhile (a
      // shutdown): back to the queue as it is. Any other error (no backend of this worker can run
      // it, PostgreSQL down): judged from its row, as an entry without `take` is.
      if (controller.signal.aborted && token) return handBack(bullJob, token, 0, log);
      log.debug({ err }, 'job taken from its entry not dispatched; judged from its row');
      return 'by-row';
    }
    const { job, timeout, sink } = attempt;
    return await settleAttempt(deps, bullJob, token, job, err, { controller, timeout, sink, log, prompt: submitted.prompt });
  } finally {
    // Only now (unless its prompt's end freed it): a prompt still on the backend after a lost connection was asked about and followed under this slot.
    if (held) await letGo(deps, held);
    // The success's announcement, under way since its commit (recordSuccess). Meanwhile the job is
    // active in BullMQ but no longer counted by the intake gate (its lease ended): intake may lag by
    // one job for that moment, never overfill.
    await attempt?.sink.drain();
    deps.cancels.unregister(payload.jobId, controller);
  }
}

interface AttemptContext {
  controller: AbortController;
  timeout: AbortSignal | null;
  sink: JobEventSink;
  log: Logger;
  /** Set once the prompt was handed to a backend. */
  prompt: SubmittedPrompt | null;
}

/**
 * An attempt ended in an error. If its prompt reached a backend and the error is not the
 * backend's own verdict, the backend is asked first: a prompt that finished there is collected
 * (a shutdown, cancel or lost connection that came after the work was done keeps the success).
 */
async function settleAttempt(
  deps: WorkerDeps,
  bullJob: BullJob<RenderJobPayload>,
  token: string | undefined,
  job: JobRow,
  err: unknown,
  ctx: AttemptContext,
): Promise<RenderOutcome> {
  const { controller, sink, log } = ctx;
  if (err instanceof OutcomeNotRecorded) {
    log.error({ err }, 'job finished on its backend but PostgreSQL could not record it; the next pickup collects it');
    throw err; // BullMQ tries the entry again later; recovery reads the result from the backend
  }
  await sink.drain();
  const shutdown = controller.signal.reason instanceof WorkerShutdown;
  const error = classify(err);
  if (ctx.prompt && !DEFINITIVE_CODES.has(error.code)) {
    const situation: AskSituation = shutdown ? 'shutdown' : 'success_path_error';
    const asked = await askBackend(deps, job, ctx.prompt, {
      situation,
      // A connection lost mid-run may leave the prompt running: follow it rather than run it twice.
      follow: !shutdown && !controller.signal.aborted && !(ctx.timeout?.aborted ?? false) && error.code === 'BACKEND_UNAVAILABLE',
      // A followed prompt still ends at the job's timeout (then settled as JOB_TIMEOUT below).
      signal: ctx.timeout ? AbortSignal.any([controller.signal, ctx.timeout]) : controller.signal,
      sink,
      log,
    }).catch((askErr: unknown) => ({ kind: 'error' as const, error: classify(askErr) }));
    if (asked.kind === 'collected' || asked.kind === 'followed') return 'succeeded';
    if (asked.kind === 'moved-on') return 'skipped';
    if (asked.kind === 'error' && asked.error.code !== error.code) log.warn({ err: asked.error }, 'asking the backend failed');
    if (asked.kind === 'still-running' && shutdown && token) {
      // Our interrupt has not landed yet, or the prompt is past it: requeueing could run it twice.
      // Let go of the job as it is; the worker that takes the entry next asks the backend again.
      await deps.persist(() => releaseHeldJob(deps.db, job.id, deps.workerId));
      log.info({ backend: ctx.prompt.backendId }, 'stopping with the prompt still on its backend: released for the next worker to settle');
      return handBack(bullJob, token, 0, log);
    }
  }
  if (shutdown && token) {
    // Interrupted by our own shutdown: back to queued, for another worker, right away.
    await sink.change({ to: 'queued', why: 'shutdown' });
    log.info('handed back to the queue at shutdown');
    return handBack(bullJob, token, 0, log);
  }
  const timedOut = ctx.timeout?.aborted ?? false;
  return settleFailure(deps, bullJob, job, timedOut ? timeoutError(job) : error, { canceled: controller.signal.aborted && !timedOut, timedOut }, sink, log);
}

/**
 * A dispatched/running job whose worker is gone, now claimed by this worker. Its prompt may have
 * finished, may still run, or may never have arrived: the backend is asked, and only a prompt it
 * does not have is run again (counting the lost attempt; a job that keeps losing its workers fails
 * with WORKER_LOST after GANTRY_MAX_ATTEMPTS).
 */
async function recoverLostJob(
  deps: WorkerDeps,
  bullJob: BullJob<RenderJobPayload>,
  token: string | undefined,
  job: JobRow,
  log: Logger,
  place: QueuePlace,
): Promise<RenderOutcome> {
  log.warn({ status: job.status, backend: job.backendId, lastWorker: job.workerId }, 'recovering a job whose worker was lost');
  const metrics = jobRecoveryMetrics(deps.metrics);
  const controller = deps.cancels.register(job.id);
  const sink = new JobEventSink(deps.jobs, log, job, deps.config.progressIntervalMs, deps.clock);
  const prompt = job.backendId && job.promptId ? { backendId: job.backendId, promptId: job.promptId } : null;
  // The prompt may still run on its backend: counted in that backend's slots while it is asked
  // about and followed, so no other job is placed on a GPU that is busy with it.
  const held = prompt && deps.fleet.member(prompt.backendId) ? await occupySlot(deps, prompt.backendId, job.tenantId, log) : null;
  try {
    if (job.cancelRequested) controller.abort(new Error('canceled'));
    const asked = prompt
      ? await askBackend(deps, job, prompt, { situation: 'worker_lost', follow: !controller.signal.aborted, signal: controller.signal, sink, log })
      : ({ kind: 'absent', why: 'unknown' } as const);
    switch (asked.kind) {
      case 'collected':
      case 'followed':
        if (held) held.succeeded = true;
        return 'succeeded';
      case 'moved-on':
        return 'skipped';
      case 'failed':
        metrics.recoveries.inc({ outcome: 'failed' });
        return await settleFailure(deps, bullJob, job, asked.error, { canceled: false, timedOut: false }, sink, log);
      default:
        break;
    }
    if (job.cancelRequested || controller.signal.aborted) {
      if (asked.kind === 'still-running' && prompt) {
        await deps.fleet.member(prompt.backendId)?.driver.interrupt(prompt.promptId).catch((err: unknown) => {
          log.warn({ err, backend: prompt.backendId }, 'could not interrupt the canceled prompt');
        });
      }
      metrics.recoveries.inc({ outcome: 'canceled' });
      return await settleFailure(deps, bullJob, job, new AppError('CANCELED', 'Canceled by request'), { canceled: true, timedOut: false }, sink, log);
    }
    const lost = new AppError('WORKER_LOST', `The worker running the job was lost (${asked.kind === 'absent' ? `prompt ${asked.why} on its backend` : asked.kind})`, {
      retryable: true,
    });
    metrics.recoveries.inc({ outcome: job.attempts < deps.config.maxAttempts ? 'rerun' : 'failed' });
    if (job.attempts >= deps.config.maxAttempts) {
      return await settleFailure(deps, bullJob, job, lost, { canceled: false, timedOut: false }, sink, log);
    }
    const requeued = await sink.change({
      to: 'queued',
      why: 'lost',
      lastError: { code: lost.code, message: lost.message, backend: job.backendId, attempt: job.attempts },
    });
    if (!requeued) return 'skipped';
    log.warn({ backend: job.backendId }, 'prompt not on its backend any more: running the job again');
  } catch (err) {
    if (err instanceof OutcomeNotRecorded) throw err;
    return await settleFailure(deps, bullJob, job, classify(err), { canceled: controller.signal.aborted, timedOut: false }, sink, log);
  } finally {
    if (held) await letGo(deps, held); // before a rerun leases a slot of its own
    await sink.drain();
    deps.cancels.unregister(job.id, controller);
  }
  const fresh = await deps.persist(() => readJobRow(deps.db, job.id));
  if (!fresh || fresh.status !== 'queued') return 'skipped';
  return settled(await runAttempt(deps, bullJob, token, fresh, log, place));
}

/** An AppError for anything thrown; a database that cannot be reached makes the attempt retryable. */
function classify(err: unknown): AppError {
  if (isTransientDbError(err)) {
    return new AppError('SERVICE_UNAVAILABLE', 'The database was unreachable during the attempt', { retryable: true, cause: err });
  }
  return toAppError(err);
}
