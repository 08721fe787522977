import { setTimeout as sleep } from 'node:timers/promises';
import { toAppError } from '@gantry/domain';
import { backendUnavailable, canceled } from '../comfyui/errors.js';
import type { PromptStatus, RunOptions, RunResult } from '../driver.js';
import { outputsUnrecoverable, promptUnknown } from '../follow-errors.js';
import { interruptedElsewhere } from './errors.js';
import { ProgressPoller } from './progress-poller.js';
import { lookupTask, lostFailure, type LookupDeps } from './task-lookup.js';
import { stopTask } from './task-control.js';
import type { RunDeps } from './txt2img-run.js';
import { EventRelay } from './event-relay.js';

export type FollowDeps = RunDeps & LookupDeps;

/** How a task stands once it no longer waits or runs. */
type EndStatus = Exclude<PromptStatus, { state: 'pending' } | { state: 'running' }>;

/**
 * Follows a task another driver sent (its request, and the reply with the images, went with that
 * driver): waits while it is queued or runs, reporting progress like run(), then collects its
 * saved images (lookupTask). Ends like run() where A1111 can tell: the images; EXECUTION_ERROR
 * when it raised (retryable: the error itself is lost); the interrupted BACKEND_ERROR when a poll
 * saw it interrupted; otherwise BACKEND_ERROR `outputs_unrecoverable` or `prompt_unknown`.
 * Aborting interrupts the task once it runs (never another job) and rejects CANCELED.
 */
export async function followTask(deps: FollowDeps, taskId: string, options: Omit<RunOptions, 'promptId'>): Promise<RunResult> {
  const status = await lookupTask(deps, taskId);
  if (status.state === 'pending' || status.state === 'running') return watchTask(deps, taskId, options, status.state === 'running');
  if (options.signal.aborted) throw canceled(taskId);
  return finishedResult(deps, taskId, status, false);
}

async function watchTask(deps: FollowDeps, taskId: string, options: Omit<RunOptions, 'promptId'>, running: boolean): Promise<RunResult> {
  const { http, timeouts, logger } = deps;
  const relay = new EventRelay(options.onEvent, taskId, logger);
  const poller = new ProgressPoller(http, taskId, timeouts.pollIntervalMs, null, relay.emit, logger);
  if (running) poller.markStarted();
  poller.start();
  // An abort interrupts the task once it is ours that runs (A1111 cannot drop a queued request).
  let stopping: Promise<unknown> | null = null;
  const onAbort = (): void => {
    const watch = { pollMs: timeouts.pollIntervalMs, deadline: Date.now() + timeouts.orphanWatchMs, stop: deps.closing, inFlight: () => false };
    stopping = stopTask(http, taskId, watch, logger);
  };
  if (options.signal.aborted) onAbort();
  else options.signal.addEventListener('abort', onAbort, { once: true });
  const wake = AbortSignal.any([options.signal, deps.closing]);
  const deadline = Date.now() + timeouts.generationMs;
  let seenRunning = running;
  let unreachableSince: number | null = null;
  try {
    for (;;) {
      await sleep(timeouts.pollIntervalMs, undefined, { signal: wake, ref: false }).catch(() => undefined);
      if (deps.closing.aborted) throw backendUnavailable(`The driver was closed while following txt2img task ${taskId}`);
      if (stopping) {
        await Promise.race([stopping, sleep(timeouts.cancelGraceMs, undefined, { ref: false })]);
        throw canceled(taskId);
      }
      if (Date.now() > deadline) throw backendUnavailable(`txt2img task ${taskId} did not end within ${timeouts.generationMs} ms`);
      let status: PromptStatus;
      try {
        status = await lookupTask(deps, taskId);
        unreachableSince = null;
      } catch (err) {
        const error = toAppError(err);
        if (error.code !== 'BACKEND_UNAVAILABLE') throw error;
        unreachableSince ??= Date.now();
        if (Date.now() - unreachableSince >= timeouts.unreachableMs) throw error;
        status = { state: 'pending' };
      }
      if (status.state === 'running') seenRunning = true;
      if (status.state !== 'pending' && status.state !== 'running') {
        poller.stop();
        if (options.signal.aborted) throw canceled(taskId);
        // Seen running, now neither current nor remembered as completed: it raised, and another job started since.
        const known: EndStatus = status.state === 'unknown' && seenRunning ? { state: 'failed', error: lostFailure(taskId) } : status;
        const result = finishedResult(deps, taskId, known, poller.sawInterrupted);
        poller.markStarted();
        relay.emit({ type: 'executed', node: 'txt2img', files: result.files });
        return result;
      }
    }
  } finally {
    relay.settle();
    poller.stop();
    options.signal.removeEventListener('abort', onAbort);
  }
}

/** A finished task's status as run() would have ended: its files, or the error it rejects with. */
function finishedResult(deps: LookupDeps, taskId: string, status: EndStatus, sawInterrupted: boolean): RunResult {
  switch (status.state) {
    case 'succeeded':
      return { promptId: taskId, files: status.files };
    case 'failed':
      throw status.error;
    case 'interrupted':
      throw interruptedElsewhere(taskId);
    case 'unrecoverable':
      // Interrupted jobs save nothing: if a poll saw the interrupt, say so, as run() would have.
      throw sawInterrupted ? interruptedElsewhere(taskId) : outputsUnrecoverable(taskId, status.reason);
    case 'unknown':
      throw promptUnknown(taskId, deps.backendId);
  }
}
