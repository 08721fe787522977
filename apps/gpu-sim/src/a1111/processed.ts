import { encodePng } from '../image/png.js';
import { renderPreview, renderScene } from '../image/render.js';
import type { Checkpoint } from './checkpoints.js';
import { PyFloat, pyFloatText, pyJsonDumps } from './py-json.js';
import type { ResolvedSampler } from './samplers.js';
import type { Txt2ImgRequest } from './txt2img-request.js';

/** The A1111 release whose API shapes the sim follows (`Version:` in infotexts). */
const A1111_VERSION = 'v1.10.1';

/** One txt2img job with everything its images and infotexts depend on. */
export interface Txt2ImgJob {
  request: Txt2ImgRequest;
  checkpoint: Checkpoint;
  sampler: ResolvedSampler;
  /** One per image, across all iterations. */
  allSeeds: number[];
  allSubseeds: number[];
}

/** `generation_parameters_copypaste.quote`: values with `,`, `:` or newlines are JSON-quoted. */
function quote(v: string): string {
  return /[,:\n]/.test(v) ? JSON.stringify(v) : v;
}

/** `processing.create_infotext` for image `index`: the text A1111 shows and embeds as PNG `parameters`. */
export function infotext(job: Txt2ImgJob, index: number): string {
  const { request: r, checkpoint, sampler } = job;
  const variation = r.subseedStrength !== 0;
  const params: Array<[string, string | number | null]> = [
    ['Steps', r.steps],
    ['Sampler', sampler.sampler.name],
    ['Schedule type', sampler.schedule?.label ?? null],
    ['CFG scale', pyFloatText(r.cfgScale)],
    ['Seed', job.allSeeds[index]!],
    ['Size', `${r.width}x${r.height}`],
    ['Model hash', checkpoint.hash],
    ['Model', checkpoint.model_name],
    ['Variation seed', variation ? job.allSubseeds[index]! : null],
    ['Variation seed strength', variation ? pyFloatText(r.subseedStrength) : null],
    ['Version', A1111_VERSION],
  ];
  const text = params.filter(([, v]) => v !== null).map(([k, v]) => `${k}: ${quote(String(v))}`).join(', ');
  const negative = r.negativePrompt ? `\nNegative prompt: ${r.negativePrompt}` : '';
  return `${r.prompt}${negative}\n${text}`.trim();
}

/**
 * Image `index` as a PNG with its infotext, drawn from everything that changes the picture (its
 * own seed, not its batch position, as A1111's per-image noise does). `fraction` < 1 gives the
 * half-denoised picture an interrupted sampler leaves behind.
 */
export function renderImage(job: Txt2ImgJob, index: number, fraction = 1): Buffer {
  const { request: r } = job;
  const variation = r.subseedStrength !== 0 ? [job.allSubseeds[index], r.subseedStrength] : [];
  const key = JSON.stringify(['a1111', job.checkpoint.sha256, job.allSeeds[index], ...variation, r.steps, r.cfgScale, job.sampler.sampler.name, job.sampler.schedule?.name ?? null, r.prompt, r.negativePrompt]);
  const pixels = fraction >= 1 ? renderScene(key, r.width, r.height) : renderPreview(key, r.width, r.height, fraction);
  // PIL's default zlib level is 6.
  return encodePng(pixels, { compressLevel: 6, text: { parameters: infotext(job, index) } });
}

/** `Processed.js()`: the reply's `info`, a JSON string written by Python. */
export function processedInfo(job: Txt2ImgJob, infotexts: string[], jobTimestamp: string): string {
  const { request: r, checkpoint, sampler } = job;
  const n = job.allSeeds.length;
  const styles = r.parameters.styles;
  return pyJsonDumps({
    prompt: r.prompt,
    all_prompts: Array<string>(n).fill(r.prompt),
    negative_prompt: r.negativePrompt,
    all_negative_prompts: Array<string>(n).fill(r.negativePrompt),
    seed: job.allSeeds[0],
    all_seeds: job.allSeeds,
    subseed: job.allSubseeds[0],
    all_subseeds: job.allSubseeds,
    subseed_strength: new PyFloat(r.subseedStrength),
    width: r.width,
    height: r.height,
    sampler_name: sampler.sampler.name,
    cfg_scale: new PyFloat(r.cfgScale),
    steps: r.steps,
    batch_size: r.batchSize,
    restore_faces: r.parameters.restore_faces ?? null,
    face_restoration_model: null,
    sd_model_name: checkpoint.model_name,
    sd_model_hash: checkpoint.hash,
    sd_vae_name: null,
    sd_vae_hash: null,
    seed_resize_from_w: r.parameters.seed_resize_from_w,
    seed_resize_from_h: r.parameters.seed_resize_from_h,
    denoising_strength: null,
    extra_generation_params: sampler.schedule ? { 'Schedule type': sampler.schedule.label } : {},
    index_of_first_image: 0,
    infotexts,
    styles: Array.isArray(styles) ? styles : [],
    job_timestamp: jobTimestamp,
    clip_skip: 1,
    is_using_inpainting_conditioning: false,
    version: A1111_VERSION,
  });
}

/** `processing.fix_seed`: -1 draws `random.randrange(4294967294)`. */
function fixSeed(seed: number): number {
  return seed === -1 ? Math.floor(Math.random() * 4294967294) : seed;
}

/** Seeds per image: consecutive from the first, unless variation seeds are in use (then all the same). */
export function seedsFor(request: Txt2ImgRequest): { allSeeds: number[]; allSubseeds: number[] } {
  const n = request.batchSize * request.nIter;
  const seed = fixSeed(request.seed);
  const subseed = fixSeed(request.subseed);
  const allSeeds = Array.from({ length: n }, (_, i) => seed + (request.subseedStrength === 0 ? i : 0));
  return { allSeeds, allSubseeds: Array.from({ length: n }, (_, i) => subseed + i) };
}
