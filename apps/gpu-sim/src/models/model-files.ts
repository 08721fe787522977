import { MODEL_KINDS, type ModelInventory, type ModelKind } from '@gantry/domain';

/** Every model file a sim holds, per kind: what its loader nodes and A1111 listings offer. */
export type ModelFiles = Readonly<Record<ModelKind, readonly string[]>>;

/** The files of the kinds other than checkpoints when none are configured (checkpoints: `models`). */
const DEFAULT_MODEL_FILES: Omit<ModelFiles, 'checkpoint'> = {
  lora: ['add_detail.safetensors', 'lcm-lora-sdv1-5.safetensors'],
  vae: ['sdxl_vae.safetensors', 'vae-ft-mse-840000-ema-pruned.safetensors'],
  upscaler: ['4x-UltraSharp.pth', 'RealESRGAN_x4plus.pth'],
  controlnet: ['control_v11p_sd15_canny.pth'],
  clip: ['clip_l.safetensors', 't5xxl_fp16.safetensors'],
  unet: ['flux1-dev.safetensors'],
};

/** ComfyUI's folder name for each kind (`GET /models/{folder}`). */
export const FOLDER_OF_KIND: Readonly<Record<ModelKind, string>> = {
  checkpoint: 'checkpoints',
  lora: 'loras',
  vae: 'vae',
  upscaler: 'upscale_models',
  controlnet: 'controlnet',
  clip: 'text_encoders',
  unet: 'diffusion_models',
};

/** The sim's files: `files` per kind where given (an empty list is allowed), else the defaults; checkpoints from `checkpoints`. */
export function resolveModelFiles(checkpoints: readonly string[], files: ModelInventory = {}): ModelFiles {
  const out = { checkpoint: files.checkpoint ?? checkpoints } as Record<ModelKind, readonly string[]>;
  for (const kind of MODEL_KINDS) if (kind !== 'checkpoint') out[kind] = files[kind] ?? DEFAULT_MODEL_FILES[kind];
  return out;
}
