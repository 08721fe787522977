import { randomUUID } from 'node:crypto';
import { isImg2ImgDriver, isTxt2ImgDriver, type BackendDriver, type DriverEvent, type RunResult } from '@gantry/backends';
import { AppError } from '@gantry/domain';
import { slotTimeMs } from '@gantry/fleet';
import type { JobRow, TransitionResult } from '@gantry/db';
import type { Logger } from '@gantry/logger';
import type { JobEventSink } from '../events/job-event-sink.js';
import { PreviewPublisher } from '../events/preview-publisher.js';
import { OverallProgress } from '../progress/overall-progress.js';
import type { WorkerDeps } from './context.js';
import { freeAtPromptEnd, type HeldSlot } from './held-slot.js';
import { jobInput, jobModel, progressNodes } from './job-input.js';
import { queueAheadAtStart } from './queue-ahead.js';
import { recordSuccess } from './record-success.js';
import { StallWatchdog } from './stall-watchdog.js';
import { img2imgImages, stageInputs } from './stage-inputs.js';

/** A `dispatched` committed before runOnBackend (JobDoor.commitTaken: with the read of the job's row). */
export interface Dispatched {
  promptId: string;
  result: TransitionResult;
  /** When its slot was leased (its slot time is measured from there). */
  leasedAt: number;
}

/** Where an attempt's prompt went, once it was handed to a backend: recovery asks there. */
export interface SubmittedPrompt {
  backendId: string;
  promptId: string;
}

/**
 * One attempt of a job on one leased backend: mark it dispatched, run the prompt while turning
 * driver events into job events, store the outputs and record the success. Errors propagate to
 * the caller, which asks the backend (when `submitted` was set) before deciding between success,
 * retry, failure and cancel. The GPU slot is freed as soon as the backend says the prompt ended
 * (freeAtPromptEnd: the lease is finishing, still renewed and counted as a job running on the
 * backend): the GPU takes its next job while this one's outputs are stored and its success
 * recorded. Until then, and on any error, the caller keeps the slot (renewed) until it settled: a
 * prompt that may still run on the backend keeps its slot while it is asked about and followed.
 * The caller ends the lease when the attempt is over, forgiving the backend's strikes only when
 * the success was recorded (`held.succeeded`, WorkerFleet.release).
 */
export async function runOnBackend(
  deps: WorkerDeps,
  job: JobRow,
  held: HeldSlot,
  controller: AbortController,
  signal: AbortSignal,
  sink: JobEventSink,
  jobLog: Logger,
  submitted: { prompt: SubmittedPrompt | null },
  /** Its `dispatched`, when already committed; else committed here. */
  committed: Dispatched | null = null,
): Promise<'succeeded' | 'lost'> {
  const { lease } = held;
  const log = jobLog.child({ backend: lease.backendId }); // every line of the attempt names its backend
  const leasedAt = committed?.leasedAt ?? deps.clock.now();
  const member = deps.fleet.member(lease.backendId);
  if (!member) {
    // Removed from the registry between the lease and now: another backend can take the job.
    throw new AppError('BACKEND_UNAVAILABLE', `Backend ${lease.backendId} left the fleet`, { retryable: true });
  }
  const promptId = committed?.promptId ?? randomUUID();
  // Durable before the prompt exists (recovery reads this row); its message need not be out yet:
  // it still goes before the job's later events (JobEventSink.commit).
  const dispatched = committed ? committed.result : await sink.commit({ to: 'dispatched', backendId: lease.backendId, promptId, workerId: deps.workerId });
  if (!dispatched) return 'lost'; // canceled between pickup and dispatch
  // Inputs go to this backend before the prompt exists there: a failure here is a plain retry.
  const inputs = await stageInputs(deps, job, member.driver, log);
  submitted.prompt = { backendId: lease.backendId, promptId };
  if (dispatched.cancelRequested) controller.abort(new Error('canceled'));

  const input = jobInput(job);
  // Warm-model affinity is a hint for later leases: written beside the submit, not before it.
  void deps.fleet.noteModel(lease.backendId, jobModel(job)).catch(() => undefined);
  log.info({ backend: lease.backendId, promptId }, 'dispatching to backend');
  const images = input.kind === 'img2img' ? await img2imgImages(deps, inputs) : null;
  /** When the backend took the prompt, and when it started it: a prompt sent ahead waits between the two (slotTimeMs). */
  const times: { sentAt: number | null; startedAt: number | null } = { sentAt: null, startedAt: null };
  // While the backend takes the prompt (validating it may stall it), its probes' timeouts do not count as down.
  const submitting = <T>(submit: () => Promise<T>): Promise<T> =>
    deps.fleet.whileAccepting(lease, () =>
      submit().finally(() => {
        times.sentAt = deps.clock.now();
      }),
    );
  const aheadAtStart = queueAheadAtStart(deps, held, log);
  const onStarted = (): void => {
    times.startedAt = deps.clock.now();
    // Its prompt runs now: the slot may be counted as about to free near its expected end, from
    // here, not from the dispatch (a prompt sent ahead waits on the backend first).
    deps.fleet.ending.begin(lease.leaseId, lease.backendId);
    aheadAtStart();
  };
  const result = await followPrompt(deps, job, member.driver, signal, sink, log, onStarted, (options) =>
    input.kind === 'workflow'
      ? member.driver.run(input.workflow, { promptId, ...options, submitting })
      : input.kind === 'img2img' && isImg2ImgDriver(member.driver) && images
        ? member.driver.runImg2Img(input.params, images, { promptId, ...options })
        : input.kind === 'txt2img' && isTxt2ImgDriver(member.driver)
          ? member.driver.runTxt2Img(input.params, { promptId, ...options })
          : Promise.reject(new AppError('BACKEND_ERROR', `Backend ${lease.backendId} cannot run ${input.kind} jobs`, { retryable: true })),
  );
  // The prompt ended on the backend: its GPU is free for the next job now, not after the bookkeeping.
  deps.fleet.pace.observe(lease.backendId, slotTimeMs({ leasedAt, endedAt: deps.clock.now(), ...times })); // for speed-aware placement
  freeAtPromptEnd(deps, held, log);
  const done = await recordSuccess(deps, job, member.driver, result.files, 1, sink);
  if (!done) return 'lost';
  held.succeeded = true; // its outputs were collected and its success recorded: the backend's strikes are forgiven with the release
  log.info({ backend: lease.backendId, artifacts: result.files.length }, 'job succeeded');
  return 'succeeded';
}

type Start = (options: { signal: AbortSignal; onEvent: (event: DriverEvent) => void }) => Promise<RunResult>;

/**
 * Runs (or, in recovery, follows) one prompt to its end: driver events become job events (the
 * first `started` moves the job to running), a watchdog interrupts a backend that stops making
 * progress. Resolves with the prompt's result; the caller records it.
 */
export async function followPrompt(
  deps: WorkerDeps,
  job: JobRow,
  driver: BackendDriver,
  signal: AbortSignal,
  sink: JobEventSink,
  log: Logger,
  /** Called once, when the backend starts the prompt (its first `started` event). */
  onStarted: () => void,
  start: Start,
): Promise<RunResult> {
  const watchdog = new StallWatchdog(deps.config.stallTimeoutMs, deps.clock);
  const runSignal = AbortSignal.any([signal, watchdog.controller.signal]);
  const progress = new OverallProgress(progressNodes(jobInput(job)));
  let running: Promise<unknown> | null = job.status === 'running' ? Promise.resolve() : null; // the `running` change, once
  let started = false;
  const previews = new PreviewPublisher(deps.publisher, job, deps.config.previewIntervalMs, log, deps.clock);
  const onEvent = (event: DriverEvent): void => {
    watchdog.touch();
    if (event.type === 'preview') return previews.offer(event.node, event.mime, event.data);
    if (event.type === 'started' && !started) {
      started = true;
      onStarted();
      running ??= sink.change({ to: 'running' }).catch((err: unknown) => log.warn({ err }, 'running state not recorded'));
      return;
    }
    const overall = overallFor(progress, event);
    if (overall !== null) {
      const node = 'node' in event ? event.node : null;
      const [value, max] = event.type === 'progress' ? [event.value, event.max] : [0, 0];
      void sink.emit({ type: 'progress', node, value, max, overall });
    }
  };
  try {
    const result = await start({ signal: runSignal, onEvent }).catch((err: unknown) => {
      if (watchdog.stalled && !signal.aborted) {
        throw new AppError('BACKEND_STALLED', `No progress from backend ${driver.id} for ${deps.config.stallTimeoutMs} ms`, {
          retryable: true,
          cause: err,
        });
      }
      throw err;
    });
    await running;
    return result;
  } finally {
    watchdog.stop();
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
