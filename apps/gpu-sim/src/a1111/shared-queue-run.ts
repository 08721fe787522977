import { randomUUID } from 'node:crypto';
import { ShutdownError } from '../execution/errors.js';
import type { Prompt } from '../prompt.js';
import type { SimContext } from '../sim-context.js';
import type { ListeningHub } from './listening-hub.js';
import type { Txt2ImgJob } from './processed.js';
import { A1111Exception } from './responses.js';
import type { SharedState } from './shared-state.js';

/** What an A1111 job needs from the sim it runs in. */
export interface A1111Deps {
  ctx: SimContext;
  hub: ListeningHub;
  state: SharedState;
  /** Aborted when the sim closes. */
  shutdown: AbortSignal;
}

/**
 * How a job that did not raise ended on the GPU (`interrupted`: in which iteration, after how many
 * of its steps), with the `job_timestamp` it ran under.
 */
export type JobEnd = ({ kind: 'success' } | { kind: 'interrupted'; iteration: number; step: number }) & { jobTimestamp: string };

type Outcome = { kind: 'success' } | { kind: 'interrupted'; iteration: number; step: number } | { kind: 'error'; error: A1111Exception };

/** The ComfyUI graph one A1111 job runs as: shared loaders and prompts, one latent and sampler per iteration. */
function buildPrompt(job: Txt2ImgJob, taskId: string): { prompt: Prompt; outputs: string[] } {
  const r = job.request;
  const prompt: Prompt = {
    ckpt: { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: job.checkpoint.comfyName } },
    positive: { class_type: 'CLIPTextEncode', inputs: { text: r.prompt, clip: ['ckpt', 1] } },
    negative: { class_type: 'CLIPTextEncode', inputs: { text: r.negativePrompt, clip: ['ckpt', 1] } },
  };
  const outputs: string[] = [];
  for (let k = 0; k < r.nIter; k += 1) {
    prompt[`latent_${k}`] = { class_type: 'EmptyLatentImage', inputs: { width: r.width, height: r.height, batch_size: r.batchSize } };
    const inputs = {
      model: ['ckpt', 0], positive: ['positive', 0], negative: ['negative', 0], latent_image: [`latent_${k}`, 0],
      seed: job.allSeeds[k * r.batchSize], steps: r.steps, cfg: r.cfgScale, sampler_name: job.sampler.sampler.comfy,
      scheduler: job.sampler.schedule?.comfy ?? 'normal', denoise: 1,
      // Not a KSampler input (the sampler ignores it): it makes the node's cache signature unique,
      // so every A1111 job samples, as A1111 has no output cache.
      a1111_task: taskId,
    };
    prompt[`sampler_${k}`] = { class_type: 'KSampler', inputs };
    outputs.push(`sampler_${k}`);
  }
  return { prompt, outputs };
}

/**
 * Runs a job through the sim's prompt queue, so it waits for and blocks ComfyUI prompts like
 * any other work on the one GPU. Its events go to an in-process client, which keeps A1111's
 * `shared.state` current; its history entry is removed at the end (A1111 has no history).
 * `whileRunning` is the end of `process_images` (where A1111 saves the images): it runs when the
 * GPU work is done but before the task counts as finished, and what it throws fails the job.
 * Rejects with the A1111Exception the job raised, or ShutdownError when the sim closes.
 */
export function runOnSharedQueue<T>(deps: A1111Deps, job: Txt2ImgJob, taskId: string, whileRunning: (end: JobEnd) => T): Promise<{ end: JobEnd; value: T }> {
  const { ctx, hub, state, shutdown } = deps;
  const r = job.request;
  const promptId = randomUUID();
  const sid = `a1111-${promptId}`;
  const { prompt, outputs } = buildPrompt(job, taskId);
  return new Promise<{ end: JobEnd; value: T }>((resolve, reject) => {
    let end: Outcome = { kind: 'error', error: new A1111Exception('RuntimeError', 'the job ended without a result') };
    let iteration = 0;
    let step = 0;
    const finish = (outcome: Outcome | Error): void => {
      stopListening();
      stopWatching();
      shutdown.removeEventListener('abort', onShutdown);
      ctx.history.delete([promptId]);
      if (outcome instanceof Error) return reject(outcome);
      // Settled here, synchronously, before the worker starts the next prompt (which may be A1111's too).
      let settled: { end: JobEnd; value: T } | A1111Exception;
      if (outcome.kind === 'error') settled = outcome.error;
      else {
        const end: JobEnd = { ...outcome, jobTimestamp: state.jobTimestamp };
        try {
          settled = { end, value: whileRunning(end) };
        } catch (err) {
          settled = err instanceof A1111Exception ? err : new A1111Exception('OSError', err instanceof Error ? err.message : String(err));
        }
      }
      state.end();
      // After an exception A1111 never calls finish_task: the task stays "current".
      if (settled instanceof A1111Exception) return reject(settled);
      state.finishTask(taskId);
      state.jobNo = settled.end.kind === 'success' ? r.nIter : settled.end.iteration + 1;
      resolve(settled);
    };
    const stopListening = hub.listen(sid, {
      message: (type, data) => {
        if (type === 'execution_start') {
          state.begin('scripts_txt2img', r.nIter);
          state.startTask(taskId);
          state.runningPromptId = promptId;
        } else if (type === 'executing') {
          if (data.node === null) return finish(end);
          if (typeof data.node === 'string' && data.node.startsWith('sampler_')) {
            iteration = Number(data.node.slice('sampler_'.length));
            step = 0;
            state.iteration(iteration, r.steps);
          }
        } else if (type === 'progress') {
          step = Number(data.value);
          state.samplingStep = step;
          state.samplingSteps = Number(data.max);
        } else if (type === 'execution_success') end = { kind: 'success' };
        else if (type === 'execution_interrupted') {
          // Also when ComfyUI's /interrupt stopped it: A1111 only stops a job through this flag.
          state.interrupt();
          end = { kind: 'interrupted', iteration, step };
        }
        else if (type === 'execution_error') end = { kind: 'error', error: exceptionOf(data) };
      },
      // Type-1 preview frames: [u32 type][u32 format][PNG].
      bytes: (frame) => {
        if (frame.length > 8 && frame.readUInt32BE(0) === 1) state.livePreview(frame.subarray(8));
      },
    });
    const stopWatching = hub.watchQueue(() => {
      const queued = ctx.queue.isRunning(promptId) || ctx.queue.pendingItems().some((item) => item.promptId === promptId);
      if (queued || ctx.history.get(promptId)) return;
      state.dropTask(taskId);
      finish(new A1111Exception('RuntimeError', 'gpu-sim: the job was removed from the shared queue before it ran'));
    });
    const onShutdown = (): void => finish(new ShutdownError());
    if (shutdown.aborted) return onShutdown();
    shutdown.addEventListener('abort', onShutdown, { once: true });
    ctx.queue.put({ number: ctx.counter.number++, promptId, prompt, extraData: { client_id: sid }, outputs });
    ctx.worker.notify();
  });
}

/** ComfyUI's `execution_error` as the Python exception A1111 would report: `torch.OutOfMemoryError` → `OutOfMemoryError`. */
function exceptionOf(data: Record<string, unknown>): A1111Exception {
  const type = String(data.exception_type ?? 'RuntimeError').split('.').pop()!;
  // ComfyUI appends a usage tip after the first line; A1111's str(e) is the torch message alone.
  return new A1111Exception(type, String(data.exception_message ?? '').split('\n')[0]!);
}
