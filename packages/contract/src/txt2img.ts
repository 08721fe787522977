import { z } from 'zod';
import { storableText } from './storable.js';

/** A side in pixels: what SD latents allow (multiples of 8) within what one GPU can hold. */
const side = z.number().int().min(64).max(4096).multipleOf(8);

/**
 * A text-to-image job by parameters rather than a ComfyUI workflow (AUTOMATIC1111/Forge's
 * `txt2img`). Only `prompt` is required; what is left out takes the backend's default (A1111:
 * 50 steps, 512x512, CFG 7, a random seed). Unknown keys are refused, so a typo fails loudly.
 */
export const txt2ImgParamsSchema = z
  .object({
    prompt: storableText().min(1).max(20_000),
    negative_prompt: storableText().max(20_000).optional(),
    /** -1 means a random seed; images of a batch get consecutive seeds. */
    seed: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional().meta({ description: '-1: random; images of a batch get consecutive seeds' }),
    steps: z.number().int().min(1).max(150).optional(),
    width: side.optional(),
    height: side.optional(),
    cfg_scale: z.number().min(1).max(30).optional(),
    /** An A1111 sampler name, e.g. `Euler a` or `DPM++ 2M` (A1111 falls back to its default for unknown names). */
    sampler_name: storableText().min(1).max(100).optional().meta({ description: 'An A1111 sampler name, e.g. `Euler a` or `DPM++ 2M`' }),
    /** An A1111 schedule type, e.g. `Karras` (A1111 1.9+; older versions ignore it). */
    scheduler: storableText().min(1).max(100).optional().meta({ description: 'An A1111 schedule type, e.g. `Karras` (A1111 1.9+)' }),
    batch_size: z.number().int().min(1).max(8).optional(),
    /** A checkpoint by any name A1111 accepts (title, file name, model name or hash); default: the loaded one. */
    model: storableText().min(1).max(500).optional().meta({ description: 'A checkpoint by title, file name, model name or hash; default: the loaded one' }),
  })
  .strict()
  .meta({ description: 'Text-to-image parameters (AUTOMATIC1111/Forge). Left out: the backend\'s default.' });

/** Validated txt2img parameters (see txt2ImgParamsSchema). */
export type Txt2ImgParams = z.infer<typeof txt2ImgParamsSchema>;


/**
 * An image-to-image job by parameters (AUTOMATIC1111/Forge's `img2img`): the txt2img parameters
 * plus how far to move from the input. The job's inputs name the images: `image` (required, sent
 * as `init_images`) and `mask` (optional, inpainting: white is repainted).
 */
export const img2ImgParamsSchema = txt2ImgParamsSchema
  .extend({
    denoising_strength: z.number().min(0).max(1).optional().meta({ description: '0: keep the input, 1: ignore it (A1111 default 0.75)' }),
    mask_blur: z.number().int().min(0).max(64).optional().meta({ description: 'Blur of the mask edge in pixels (A1111 default 4)' }),
    inpainting_fill: z.number().int().min(0).max(3).optional().meta({ description: 'Masked area start: 0 fill, 1 original, 2 latent noise, 3 latent nothing' }),
  })
  .strict()
  .meta({ description: 'Image-to-image parameters (AUTOMATIC1111/Forge); inputs `image` (required) and `mask` (optional).' });

export type Img2ImgParams = z.infer<typeof img2ImgParamsSchema>;

/** The input names an img2img job takes, and the A1111 parameter each one becomes. */
export const IMG2IMG_INPUTS = { image: 'init_images', mask: 'mask' } as const;
