import { z } from 'zod';

/**
 * Kinds of model files a backend holds, as ComfyUI's model folders divide them (`checkpoints`,
 * `loras`, `vae`, `upscale_models`, `controlnet`, `text_encoders`/`clip`, `diffusion_models`/`unet`).
 */
export const MODEL_KINDS = ['checkpoint', 'lora', 'vae', 'upscaler', 'controlnet', 'clip', 'unet'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * What a backend holds, per kind. A kind that is absent is not known (the backend does not say, or
 * it has no loader for it): it never excludes the backend. A present kind is the complete list.
 */
export type ModelInventory = Partial<Record<ModelKind, string[]>>;

export const modelKindSchema = z.enum(MODEL_KINDS);
