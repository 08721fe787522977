import { validateModel, type Checked, type FieldSpec } from './pydantic.js';

const str = (d: string | null = null): FieldSpec => ({ kind: 'str', default: d });
const int = (d: number, bounds: Omit<FieldSpec, 'kind' | 'default'> = {}): FieldSpec => ({ kind: 'int', default: d, ...bounds });
const float = (d: number | null, bounds: Omit<FieldSpec, 'kind' | 'default'> = {}): FieldSpec => ({ kind: 'float', default: d, ...bounds });
const bool = (d: boolean | null): FieldSpec => ({ kind: 'bool', default: d });
const SIZE = { ge: 64, le: 2048, multipleOf: 8 };

/**
 * `StableDiffusionTxt2ImgProcessingAPI` of A1111 1.10: the processing fields in model order, then
 * the API's extra ones. Types and defaults are A1111's; the bounds are the sim's (A1111's UI
 * slider limits: steps 1-150, sizes 64-2048 in steps of 8, batch 1-8, count 1-100, CFG 1-30),
 * where A1111 itself would only type-check and fail later or round silently.
 */
export const TXT2IMG_FIELDS: Readonly<Record<string, FieldSpec>> = {
  prompt: str(''),
  negative_prompt: str(''),
  styles: { kind: 'str_list', default: null },
  seed: int(-1, { ge: -1, le: Number.MAX_SAFE_INTEGER }),
  subseed: int(-1, { ge: -1, le: Number.MAX_SAFE_INTEGER }),
  subseed_strength: float(0),
  seed_resize_from_h: int(-1),
  seed_resize_from_w: int(-1),
  sampler_name: str(),
  scheduler: str(),
  batch_size: int(1, { ge: 1, le: 8 }),
  n_iter: int(1, { ge: 1, le: 100 }),
  steps: int(50, { ge: 1, le: 150 }),
  cfg_scale: float(7, { ge: 1, le: 30 }),
  width: int(512, SIZE),
  height: int(512, SIZE),
  restore_faces: bool(null),
  tiling: bool(null),
  do_not_save_samples: bool(false),
  do_not_save_grid: bool(false),
  eta: float(null),
  denoising_strength: float(0.75),
  s_min_uncond: float(null),
  s_churn: float(null),
  s_tmax: float(null),
  s_tmin: float(null),
  s_noise: float(null),
  override_settings: { kind: 'dict', default: null },
  override_settings_restore_afterwards: bool(true),
  refiner_checkpoint: str(),
  refiner_switch_at: float(null),
  disable_extra_networks: bool(false),
  firstpass_image: str(),
  comments: { kind: 'dict', default: null },
  enable_hr: bool(false),
  firstphase_width: int(0),
  firstphase_height: int(0),
  hr_scale: float(2),
  hr_upscaler: str(),
  hr_second_pass_steps: int(0),
  hr_resize_x: int(0),
  hr_resize_y: int(0),
  hr_checkpoint_name: str(),
  hr_sampler_name: str(),
  hr_scheduler: str(),
  hr_prompt: str(''),
  hr_negative_prompt: str(''),
  sampler_index: str('Euler'),
  script_name: str(),
  script_args: { kind: 'list', default: [] },
  send_images: bool(true),
  save_images: bool(false),
  alwayson_scripts: { kind: 'dict', default: {} },
  force_task_id: str(),
  infotext: str(),
};

/** The fields the sim acts on, typed; `parameters` is the whole validated model (the reply echoes it). */
export interface Txt2ImgRequest {
  prompt: string;
  negativePrompt: string;
  seed: number;
  subseed: number;
  subseedStrength: number;
  samplerName: string | null;
  scheduler: string | null;
  batchSize: number;
  nIter: number;
  steps: number;
  cfgScale: number;
  width: number;
  height: number;
  overrideSettings: Record<string, unknown>;
  sendImages: boolean;
  saveImages: boolean;
  forceTaskId: string | null;
  scriptName: string | null;
  alwaysonScripts: Record<string, unknown>;
  parameters: Record<string, unknown>;
}

/** Validates a txt2img body; failures carry FastAPI's 422 `detail`. */
export function parseTxt2ImgRequest(body: unknown): Checked<Txt2ImgRequest> {
  const checked = validateModel(body, TXT2IMG_FIELDS);
  if (!checked.ok) return checked;
  const p = checked.value;
  return {
    ok: true,
    value: {
      prompt: p.prompt as string,
      negativePrompt: p.negative_prompt as string,
      seed: p.seed as number,
      subseed: p.subseed as number,
      subseedStrength: p.subseed_strength as number,
      // `txt2imgreq.sampler_name or txt2imgreq.sampler_index`: an empty name falls back to the index.
      samplerName: (p.sampler_name as string | null) || (p.sampler_index as string | null),
      scheduler: p.scheduler as string | null,
      batchSize: p.batch_size as number,
      nIter: p.n_iter as number,
      steps: p.steps as number,
      cfgScale: p.cfg_scale as number,
      width: p.width as number,
      height: p.height as number,
      overrideSettings: (p.override_settings as Record<string, unknown> | null) ?? {},
      sendImages: p.send_images as boolean,
      saveImages: p.save_images as boolean,
      forceTaskId: p.force_task_id as string | null,
      scriptName: p.script_name as string | null,
      alwaysonScripts: p.alwayson_scripts as Record<string, unknown>,
      parameters: p,
    },
  };
}
