import { randomUUID } from 'node:crypto';
import { isTxt2ImgDriver, type DriverEvent } from '@gantry/backends';
import { AppError } from '@gantry/domain';
import { transitionJob, type JobRow } from '@gantry/db';
import { keepLeaseAlive, type Lease } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';
import type { JobEventSink } from '../events/job-event-sink.js';
import { PreviewPublisher } from '../events/preview-publisher.js';
import { storeOutputs } from '../outputs/store-outputs.js';
import { recordJobFinished, recordJobStarted } from '../metrics/job-outcomes.js';
import { OverallProgress } from '../progress/overall-progress.js';
import type { WorkerDeps } from './context.js';
import { jobInput, jobModel, progressNodes } from './job-input.js';
import { StallWatchdog } from './stall-watchdog.js';

/**
 * One attempt of a job on one leased backend: mark it dispatched, run the prompt while turning
 * driver events into job events, store the outputs, mark it succeeded. Errors propagate to the
 * caller, which decides between retry, failure and cancel.
 */
export async function runOnBackend(
  deps: WorkerDeps,
  job: JobRow,
  lease: Lease,
  controller: AbortController,
  signal: AbortSignal,
  sink: JobEventSink,
  jobLog: Logger,
): Promise<'succeeded' | 'lost'> {
  const log = jobLog.child({ backend: lease.backendId }); // every line of the attempt names its backend
  const member = deps.fleet.member(lease.backendId);
  if (!member) throw new Error(`leased backend ${lease.backendId} is not in this worker's fleet`);
  const promptId = randomUUID();
  const dispatched = await transitionJob(deps.db, job.id, 'dispatched', {
    backendId: lease.backendId,
    promptId,
    incrementAttempts: true,
  });
  if (!dispatched) return 'lost'; // canceled between pickup and dispatch
  await sink.published(dispatched);
  if (dispatched.cancelRequested) controller.abort(new Error('canceled'));

  const stopRenewing = keepLeaseAlive(deps.fleet.leases, lease, () =>
    log.warn({ backend: lease.backendId }, 'backend slot lease lost; another job may share the backend'),
  );
  const watchdog = new StallWatchdog(deps.config.stallTimeoutMs);
  const runSignal = AbortSignal.any([signal, watchdog.controller.signal]);
  try {
    const input = jobInput(job);
    await deps.fleet.noteModel(lease.backendId, jobModel(job)).catch(() => undefined);
    const progress = new OverallProgress(progressNodes(input));
    let running: Promise<unknown> | null = null; // the `running` transition, started once
    const previews = new PreviewPublisher(deps.publisher, job, deps.config.previewIntervalMs, log);
    const onEvent = (event: DriverEvent): void => {
      watchdog.touch();
      if (event.type === 'preview') return previews.offer(event.node, event.mime, event.data);
      if (event.type === 'started' && !running) {
        running = sink.transition(() => transitionJob(deps.db, job.id, 'running')).then((t) => recordJobStarted(deps, job, t));
        return;
      }
      const overall = overallFor(progress, event);
      if (overall !== null) {
        const node = 'node' in event ? event.node : null;
        const [value, max] = event.type === 'progress' ? [event.value, event.max] : [0, 0];
        void sink.emit({ type: 'progress', node, value, max, overall });
      }
    };
    log.info({ backend: lease.backendId, promptId }, 'dispatching to backend');
    const options = { promptId, signal: runSignal, onEvent };
    const started =
      input.kind === 'workflow'
        ? member.driver.run(input.workflow, options)
        : isTxt2ImgDriver(member.driver)
          ? member.driver.runTxt2Img(input.params, options)
          : Promise.reject(new AppError('BACKEND_ERROR', `Backend ${lease.backendId} cannot run txt2img jobs`, { retryable: true }));
    const result = await started.catch((err: unknown) => {
      if (watchdog.stalled && !signal.aborted) {
        throw new AppError('BACKEND_STALLED', `No progress from backend ${lease.backendId} for ${deps.config.stallTimeoutMs} ms`, {
          retryable: true,
          cause: err,
        });
      }
      throw err;
    });
    watchdog.stop();
    await running;
    const artifacts = await storeOutputs(deps.db, deps.store, member.driver, job, result.files);
    for (const a of artifacts) {
      await sink.emit({
        type: 'output',
        artifactId: a.id,
        nodeId: a.nodeId,
        filename: a.filename,
        contentType: a.contentType,
        bytes: a.bytes,
      });
    }
    await sink.drain();
    const done = await sink.transition(() =>
      transitionJob(deps.db, job.id, 'succeeded', { progress: progress.finished() }),
    );
    if (!done) return 'lost';
    await recordJobFinished(deps, job, done);
    deps.health.recordJobSuccess(lease.backendId).catch(() => undefined);
    log.info({ backend: lease.backendId, artifacts: artifacts.length }, 'job succeeded');
    return 'succeeded';
  } finally {
    watchdog.stop();
    stopRenewing();
    await deps.fleet.leases.release(lease).catch(() => undefined);
  }
}

function overallFor(progress: OverallProgress, event: DriverEvent): number | null {
  switch (event.type) {
    case 'cached':
      return progress.cached(event.nodes);
    case 'executing':
      return progress.executing(event.node);
    case 'progress':
      return progress.step(event.node, event.value, event.max);
    default:
      return null;
  }
}
