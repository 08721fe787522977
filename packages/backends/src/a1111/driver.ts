import { Readable } from 'node:stream';
import { AppError, img2ImgParamsSchema, type Img2ImgParams, type Workflow } from '@gantry/domain';
import { backendError, backendUnavailable, canceled } from '../comfyui/errors.js';
import type { BackendDriver, DownloadedFile, OutputDownload, OutputFile, PromptStatus, RunOptions, RunResult } from '../driver.js';
import { silentStructuredLogger, withFields, type StructuredLogger } from '../logger.js';
import { paramsInvalid, zodDetail } from './errors.js';
import { A1111Http } from './http.js';
import { ImageStore } from './image-store.js';
import { DEFAULT_A1111_TIMEOUTS, type A1111DriverOptions, type A1111Timeouts } from './options.js';
import { txt2ImgParamsSchema, type Txt2ImgDriver, type Txt2ImgParams } from './params.js';
import { isSavedFile, readSaved, samplesFolder } from './saved-images.js';
import { interruptTask } from './task-control.js';
import { followTask, type FollowDeps } from './task-follow.js';
import { lookupTask } from './task-lookup.js';
import { runTxt2ImgRequest, type RunPlan } from './txt2img-run.js';
import { planFromWorkflow } from './workflow-params.js';

/**
 * An AUTOMATIC1111 or Forge backend (`--api`). Parameter jobs go to `txt2img` as they are;
 * ComfyUI workflows are accepted when they are plain text-to-image graphs (see planFromWorkflow).
 * A1111 runs one job at a time and its interrupt is global, so the driver sends each request
 * with its prompt id as `force_task_id` and interrupts only when that task is the running one.
 * The images come back in the reply only, so (unless `saveOutputs` is false) A1111 also saves
 * them under the prompt id, where lookup/follow find them if the reply is lost.
 */
export class A1111Driver implements BackendDriver, Txt2ImgDriver {
  readonly id: string;
  readonly url: string;
  private readonly timeouts: A1111Timeouts;
  private readonly logger: StructuredLogger;
  private readonly http: A1111Http;
  private readonly store: ImageStore;
  private readonly runs = new Set<string>();
  private readonly closing = new AbortController();
  private readonly deps: FollowDeps;

  constructor(options: A1111DriverOptions) {
    this.id = options.id;
    this.url = options.url.replace(/\/+$/, '');
    this.timeouts = { ...DEFAULT_A1111_TIMEOUTS, ...options.timeouts };
    this.logger = options.logger ? withFields(options.logger, { backend: this.id }) : silentStructuredLogger;
    this.http = new A1111Http(this.url, { requestMs: this.timeouts.requestMs, maxResponseBytes: options.maxResponseBytes ?? 512 * 1024 * 1024 });
    this.store = new ImageStore(options.maxHeldBytes ?? 256 * 1024 * 1024, options.heldMs ?? 15 * 60_000);
    this.deps = { http: this.http, timeouts: this.timeouts, logger: this.logger, store: this.store, closing: this.closing.signal, saveOutputs: options.saveOutputs ?? true, backendId: this.id };
  }

  /** Validates `params` (WORKFLOW_INVALID, FastAPI-shaped `details`, nothing sent) and renders them. */
  runTxt2Img(params: Txt2ImgParams, options: RunOptions): Promise<RunResult> {
    const parsed = txt2ImgParamsSchema.safeParse(params);
    if (!parsed.success) return Promise.reject(paramsInvalid(zodDetail(parsed.error.issues), 'Gantry'));
    return this.start({ params: parsed.data, node: null, outputNode: 'txt2img', fileType: 'output' }, options);
  }

  /**
   * Renders img2img `params` from `images` (base64: `init_images`, optional `mask`) at
   * `/sdapi/v1/img2img`. Not saved by A1111 under the task id (only txt2img is): a reply lost
   * with its worker is run again rather than collected.
   */
  runImg2Img(params: Img2ImgParams, images: { init: Buffer; mask?: Buffer }, options: RunOptions): Promise<RunResult> {
    const parsed = img2ImgParamsSchema.safeParse(params);
    if (!parsed.success) return Promise.reject(paramsInvalid(zodDetail(parsed.error.issues), 'Gantry'));
    const { denoising_strength, mask_blur, inpainting_fill, ...rest } = parsed.data;
    const extra = {
      init_images: [images.init.toString('base64')],
      ...(images.mask ? { mask: images.mask.toString('base64') } : {}),
      ...(denoising_strength === undefined ? {} : { denoising_strength }),
      ...(mask_blur === undefined ? {} : { mask_blur }),
      ...(inpainting_fill === undefined ? {} : { inpainting_fill }),
    };
    return this.start({ params: rest, endpoint: 'img2img', extra, node: null, outputNode: 'img2img', fileType: 'output' }, options);
  }

  /** Runs a plain txt2img workflow; others reject BACKEND_ERROR (`unsupported_workflow`, retryable elsewhere). */
  run(workflow: Workflow, options: RunOptions): Promise<RunResult> {
    let plan: RunPlan;
    try {
      plan = planFromWorkflow(workflow);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.start(plan, options);
  }

  /**
   * A file of a recent run, from memory; a saved image (from lookup/follow) is read back from the
   * backend when no longer held. Otherwise BACKEND_ERROR (retryable) once dropped: A1111 keeps no
   * copy of a reply's images.
   */
  async download(file: OutputFile): Promise<OutputDownload> {
    const held = this.store.get(file);
    if (held) return streamOf(held);
    if (isSavedFile(file)) {
      const read = await readSaved(this.http, await samplesFolder(this.http), file);
      if (read.kind === 'found') return streamOf(read.content);
      throw backendError(`${file.filename} of task ${file.subfolder} cannot be read back from the backend`, { file, reason: 'not_held', read });
    }
    throw backendError(`${file.filename} of run ${file.subfolder} is no longer held (evicted, or the driver restarted)`, { file, reason: 'not_held' });
  }

  lookup(promptId: string): Promise<PromptStatus> {
    if (this.closing.signal.aborted) return Promise.reject(backendUnavailable(`Driver for backend ${this.id} is closed`));
    return lookupTask(this.deps, promptId);
  }

  /** Follows a task sent by another driver (see followTask): A1111 can be watched and asked, never re-attached to. */
  follow(promptId: string, options: Omit<RunOptions, 'promptId'>): Promise<RunResult> {
    return this.exclusive(promptId, () => followTask(this.deps, promptId, options));
  }

  /** Stops the task with this id if it is the one running; a no-op otherwise, or if the backend cannot tell tasks apart. */
  async interrupt(promptId: string): Promise<void> {
    const where = await interruptTask(this.http, promptId);
    if (where === 'unsupported') this.logger.warn({ promptId }, 'a1111: not interrupting: the backend cannot tell which job is ours');
  }

  /** Runs still in progress reject BACKEND_UNAVAILABLE (their jobs keep running on the backend); held images are dropped. */
  async close(): Promise<void> {
    this.closing.abort();
    this.store.clear();
  }

  private start(plan: RunPlan, options: RunOptions): Promise<RunResult> {
    return this.exclusive(options.promptId, async () => {
      if (options.signal.aborted) throw canceled(options.promptId);
      return runTxt2ImgRequest(this.deps, plan, options);
    });
  }

  /** One run or follower per prompt id at a time, and none once closed. */
  private async exclusive(promptId: string, work: () => Promise<RunResult>): Promise<RunResult> {
    if (this.closing.signal.aborted) throw backendUnavailable(`Driver for backend ${this.id} is closed`);
    if (this.runs.has(promptId)) throw new AppError('CONFLICT', `Prompt ${promptId} is already running on backend ${this.id}`);
    this.runs.add(promptId);
    try {
      return await work();
    } finally {
      this.runs.delete(promptId);
    }
  }
}

/** Creates an A1111/Forge driver. It holds no connection; each run is one HTTP request plus polls. */
export function createA1111Driver(options: A1111DriverOptions): A1111Driver {
  return new A1111Driver(options);
}

/**
 * A1111 hands images over inside its JSON reply (base64), or as one PNG read back through `/file=`
 * whose signature is checked before it is trusted: they are in memory already, and are passed on
 * as a stream like any other download.
 */
function streamOf(file: DownloadedFile): OutputDownload {
  return { stream: Readable.from([file.data]), contentType: file.contentType };
}
