import { randomBytes } from 'node:crypto';
import { json, type SimResponse } from '../http/router.js';
import { findCheckpoint, type Checkpoint } from './checkpoints.js';
import type { MemoryStats } from './memory.js';
import type { WebuiOptions } from './options.js';
import { infotext, processedInfo, renderImage, seedsFor, type Txt2ImgJob } from './processed.js';
import { httpException, validationResponse } from './responses.js';
import { resolveSampler } from './samplers.js';
import { saveSamples } from './save-images.js';
import { runOnSharedQueue, type A1111Deps, type JobEnd } from './shared-queue-run.js';
import { parseTxt2ImgRequest } from './txt2img-request.js';

/** One sim's A1111 server: the shared queue plus A1111's own state. */
export interface A1111Server extends A1111Deps {
  checkpoints: readonly Checkpoint[];
  options: WebuiOptions;
  memory: MemoryStats;
}

/** `progress.create_task_id`: `task(<7 random letters and digits>)`. */
function createTaskId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `task(${[...randomBytes(7)].map((b) => alphabet[b % alphabet.length]).join('')})`;
}

/**
 * `POST /sdapi/v1/txt2img` (`api.py` `text2imgapi`): validate, queue, block until the GPU is done,
 * then answer `{images, parameters, info}`. An interrupted job still answers 200, with the images
 * of the finished iterations and the half-denoised ones it stopped in; an exception in the job
 * (OOM, a crash fault) is thrown for the route to answer 500 in A1111's error shape. With
 * `save_images`, the images are also saved (see saveSamples) before the task counts as finished.
 */
export async function txt2img(server: A1111Server, body: unknown): Promise<SimResponse> {
  const checked = parseTxt2ImgRequest(body);
  if (!checked.ok) return validationResponse(checked.detail);
  const request = checked.value;
  const taskId = request.forceTaskId ?? createTaskId();
  // The sim has no scripts, so naming one fails like an unknown one does.
  if (request.scriptName) throw httpException(422, `Script '${request.scriptName}' not found`);
  const alwayson = Object.keys(request.alwaysonScripts)[0];
  if (alwayson !== undefined) throw httpException(422, `always on script ${alwayson} not found`);
  server.state.addTask(taskId);
  // An override naming no known checkpoint is dropped, and the loaded one is used (process_images).
  const override = findCheckpoint(server.checkpoints, request.overrideSettings.sd_model_checkpoint);
  const job: Txt2ImgJob = {
    request,
    checkpoint: override ?? server.options.checkpoint(),
    sampler: resolveSampler(request.samplerName, request.scheduler),
    ...seedsFor(request),
  };
  const { end, value: images } = await runOnSharedQueue(server, job, taskId, (end) => {
    const rendered = renderAll(job, end);
    if (request.saveImages) saveAll(server, job, end, rendered);
    return rendered;
  });
  return json(200, {
    images: request.sendImages ? images.map((png) => png.toString('base64')) : [],
    parameters: request.parameters,
    info: processedInfo(job, images.map((_, i) => infotext(job, i)), end.jobTimestamp),
  });
}

/**
 * `p.save_samples()` per iteration: `samples_save` and not `do_not_save_samples` (`save_images`),
 * and an iteration the interrupt stopped only with `save_incomplete_images`: its half-denoised
 * images must not pass for results.
 */
function saveAll(server: A1111Server, job: Txt2ImgJob, end: JobEnd, images: Buffer[]): void {
  const opts = server.options.withOverrides(job.request.overrideSettings);
  if (opts.samples_save !== true) return;
  const r = job.request;
  const complete = end.kind === 'success' ? images.length : end.iteration * r.batchSize;
  const kept = opts.save_incomplete_images === true ? images.length : complete;
  const samples = images.slice(0, kept).map((png, i) => ({
    png,
    name: {
      seed: job.allSeeds[i]!, prompt: r.prompt, width: r.width, height: r.height, steps: r.steps, cfgScale: r.cfgScale,
      sampler: job.sampler.sampler.name, modelName: job.checkpoint.model_name, jobTimestamp: end.jobTimestamp, now: new Date(),
      maxPromptWords: Number(opts.directories_max_prompt_words) || 8,
    },
  }));
  saveSamples(server.ctx.dirs.root, opts, r.overrideSettings, samples);
}

/** Every finished iteration's images; after an interrupt, the stopped iteration's too, as far as it got. */
function renderAll(job: Txt2ImgJob, end: JobEnd): Buffer[] {
  const { batchSize, nIter, steps } = job.request;
  const last = end.kind === 'success' ? nIter - 1 : end.iteration;
  const images: Buffer[] = [];
  for (let k = 0; k <= last; k += 1) {
    const fraction = end.kind === 'interrupted' && k === end.iteration ? end.step / steps : 1;
    for (let b = 0; b < batchSize; b += 1) images.push(renderImage(job, k * batchSize + b, fraction));
  }
  return images;
}
