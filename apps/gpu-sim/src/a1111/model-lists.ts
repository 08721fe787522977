import type { ModelFiles } from '../models/model-files.js';

/** Where A1111 keeps each kind; only shown in paths. */
const ROOT = '/stable-diffusion-webui/models';

const stem = (file: string): string => file.replace(/\.[^.]+$/, '');

/** `GET /sdapi/v1/loras` (the bundled Lora extension): `name` is the file without extension. */
export function lorasResponse(files: ModelFiles): unknown[] {
  return files.lora.map((file) => ({ name: stem(file), alias: stem(file), path: `${ROOT}/Lora/${file}`, metadata: {} }));
}

/** `GET /sdapi/v1/sd-vae`: `model_name` is the file name. */
export function sdVaeResponse(files: ModelFiles): unknown[] {
  return files.vae.map((file) => ({ model_name: file, filename: `${ROOT}/VAE/${file}` }));
}

/** `GET /sdapi/v1/upscalers`: A1111's built-in ones first, then one per model file (named without extension). */
export function upscalersResponse(files: ModelFiles): unknown[] {
  const builtIn = ['None', 'Lanczos', 'Nearest'].map((name) => ({ name, model_name: null, model_path: null, model_url: null, scale: 4 }));
  return [...builtIn, ...files.upscaler.map((file) => ({ name: stem(file), model_name: 'ESRGAN_4x', model_path: `${ROOT}/ESRGAN/${file}`, model_url: null, scale: 4 }))];
}
