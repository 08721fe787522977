import { createHash } from 'node:crypto';
import type { SimResponse } from '../http/router.js';
import { summarisePng } from '../image/png-decode.js';
import { validationResponse } from './responses.js';
import { txt2img, type A1111Server } from './txt2img.js';

/** The img2img fields on top of txt2img's (`StableDiffusionImg2ImgProcessingAPI`). */
const IMG2IMG_FIELDS = ['init_images', 'mask', 'denoising_strength', 'mask_blur', 'mask_blur_x', 'mask_blur_y', 'inpainting_fill', 'inpaint_full_res', 'inpaint_full_res_padding', 'inpainting_mask_invert', 'resize_mode', 'image_cfg_scale', 'initial_noise_multiplier', 'include_init_images'];

/**
 * `POST /sdapi/v1/img2img`: the init image (and mask) are decoded, recorded (`GpuSimHandle.uploads`,
 * so tests see the bytes arrived) and the job renders like txt2img at the init image's size when
 * the request names none (the sim's picture follows the input's size; A1111 would resize the input
 * to the requested size). Without `init_images`: A1111's 422 "Init image not found".
 */
export async function img2img(server: A1111Server, body: unknown): Promise<SimResponse> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return txt2img(server, body);
  const request = body as Record<string, unknown>;
  const images = request.init_images;
  if (!Array.isArray(images) || images.length === 0 || typeof images[0] !== 'string') {
    return { status: 404, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: 'HTTPException', detail: 'Init image not found', body: '', errors: '' }) };
  }
  const decode = (value: string) => Buffer.from(value.replace(/^data:[^,]*,/, ''), 'base64');
  const init = decode(images[0]);
  let size;
  try {
    size = summarisePng(init);
  } catch (err) {
    return validationResponse([{ loc: ['body', 'init_images', 0], msg: `cannot identify image file (${(err as Error).message})`, type: 'value_error' }]);
  }
  const record = (name: string, data: Buffer) =>
    server.ctx.uploads.push({ name, subfolder: 'img2img', type: 'input', bytes: data.length, sha256: createHash('sha256').update(data).digest('hex'), duplicate: false });
  record('init_images[0]', init);
  if (typeof request.mask === 'string') record('mask', decode(request.mask));
  const rest = Object.fromEntries(Object.entries(request).filter(([k]) => !IMG2IMG_FIELDS.includes(k)));
  const side = (n: number) => Math.min(2048, Math.max(64, n - (n % 8)));
  return txt2img(server, { width: side(size.width), height: side(size.height), ...rest });
}
