import { toAppError } from '@gantry/domain';
import { backendUnavailable, canceled } from '../comfyui/errors.js';
import type { RunOptions, RunResult } from '../driver.js';
import type { StructuredLogger } from '../logger.js';
import { interruptedElsewhere, replyError } from './errors.js';
import type { A1111Http } from './http.js';
import type { ImageStore } from './image-store.js';
import type { A1111Timeouts } from './options.js';
import { readTxt2ImgReply } from './outputs.js';
import { txt2ImgBody, type Txt2ImgParams } from './params.js';
import { ProgressPoller, readState } from './progress-poller.js';
import { canSaveFor } from './saved-images.js';
import { stopTask } from './task-control.js';
import { EventRelay } from './event-relay.js';

/** What to render and how to report it: `node` for events, `outputNode`/`fileType` for the files. */
export interface RunPlan {
  params: Txt2ImgParams;
  /** `img2img`: the request goes to `/sdapi/v1/img2img` with `extra` (init_images, mask); default txt2img. */
  endpoint?: 'txt2img' | 'img2img';
  /** Fields sent besides the parameters (img2img: `init_images`, `mask`, `denoising_strength`...). */
  extra?: Record<string, unknown>;
  node: string | null;
  outputNode: string;
  fileType: 'output' | 'temp';
}

/** What a run borrows from its driver. */
export interface RunDeps {
  http: A1111Http;
  timeouts: A1111Timeouts;
  logger: StructuredLogger;
  store: ImageStore;
  /** Aborted when the driver closes. */
  closing: AbortSignal;
  /** Ask A1111 to save the images too (see saveOverrides), so lookup can collect them later. */
  saveOutputs: boolean;
}

/**
 * One txt2img request, from POST to images. The POST blocks until A1111 is done; meanwhile a
 * poller turns `/internal/progress` + `/sdapi/v1/progress` into events. The images are put in
 * the store for `download`. An abort interrupts the job once it is ours that runs (see
 * stopTask), then rejects CANCELED when the POST answers or after `cancelGraceMs`.
 */
export async function runTxt2ImgRequest(deps: RunDeps, plan: RunPlan, options: RunOptions): Promise<RunResult> {
  const { http, timeouts, logger } = deps;
  const taskId = options.promptId;
  let inFlight = true;
  const relay = new EventRelay(options.onEvent, taskId, logger);
  const request = new AbortController();
  const poller = new ProgressPoller(http, taskId, timeouts.pollIntervalMs, plan.node, relay.emit, logger);
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = (): void => {
    // Stop waiting on the POST after the grace; keep watching a stranded request to interrupt it when it starts.
    graceTimer = setTimeout(() => request.abort(), timeouts.cancelGraceMs);
    const watch = { pollMs: timeouts.pollIntervalMs, deadline: Date.now() + timeouts.orphanWatchMs, stop: deps.closing, inFlight: () => inFlight };
    void stopTask(http, taskId, watch, logger).then((how) => {
      if (how === 'unsupported') {
        logger.warn({ promptId: taskId }, 'a1111: cannot tell our job from others (no /internal/progress), so it is not interrupted; it runs to its end');
        request.abort();
      } else if (how === 'timeout') logger.warn({ promptId: taskId }, 'a1111: the canceled request never started; stopped watching it');
    });
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  poller.start();
  try {
    const reply = await http
      .request('POST', `/sdapi/v1/${plan.endpoint ?? 'txt2img'}`, { ...txt2ImgBody(plan.params, taskId, deps.saveOutputs && plan.endpoint !== 'img2img' && canSaveFor(taskId)), ...plan.extra }, { timeoutMs: timeouts.generationMs, signal: AbortSignal.any([request.signal, deps.closing]) })
      .finally(() => (inFlight = false));
    if (options.signal.aborted) throw canceled(taskId);
    if (reply.status !== 200) throw replyError(reply);
    const output = readTxt2ImgReply(reply, { nodeId: plan.outputNode, type: plan.fileType, subfolder: taskId, fallbackSeed: (n) => (plan.params.seed !== undefined && plan.params.seed >= 0 ? String(plan.params.seed + n) : 'unknown') });
    poller.stop();
    // A1111 answers 200 for an interrupted job too, with half-done images: only its state tells.
    if (output.files.length === 0 || (await wasInterrupted(http, poller))) throw interruptedElsewhere(taskId);
    if (options.signal.aborted) throw canceled(taskId);
    for (const { file, content } of output.files) deps.store.put(file, content);
    const files = output.files.map((f) => f.file);
    poller.markStarted();
    relay.emit({ type: 'executed', node: plan.outputNode, files });
    return { promptId: taskId, files };
  } catch (err) {
    if (options.signal.aborted) throw canceled(taskId);
    if (deps.closing.aborted) throw backendUnavailable(`The driver was closed during txt2img task ${taskId}`);
    throw toAppError(err);
  } finally {
    relay.settle();
    poller.stop();
    clearTimeout(graceTimer);
    options.signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Whether our job ended by an interrupt we did not send: seen by a poll while it ran, or the
 * state right after (still ours if no job began since: same `job_timestamp`, or none seen and
 * idle). An interrupt sent to an idle server in that instant would look the same; rare, and the
 * cost is a retry of a job that had succeeded.
 */
async function wasInterrupted(http: A1111Http, poller: ProgressPoller): Promise<boolean> {
  if (poller.sawInterrupted) return true;
  try {
    const state = await readState(http);
    if (!state?.interrupted) return false;
    return poller.jobTimestamp !== null ? state.jobTimestamp === poller.jobTimestamp && state.jobCount === 0 : state.jobCount === 0;
  } catch {
    return false; // the images are here; an unreachable backend now does not make them wrong
  }
}
