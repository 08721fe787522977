import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodePng, type RgbImage } from '../image/png.js';
import { renderScene } from '../image/render.js';
import { saveImagePath } from '../output/save-path.js';
import { isPlainObject } from '../prompt.js';
import type { NodeContext, NodeImplementation, NodeResult } from './node-context.js';
import { expectValue, type Tint } from './values.js';

/** SaveImage: PNGs into the output folder, with the prompt (and extra_pnginfo) embedded as ComfyUI does. */
export const saveImage: NodeImplementation = (inputs, ctx) => save(inputs, ctx, 'output', String(inputs.filename_prefix ?? 'ComfyUI'));

/** PreviewImage: a fast-compressed PNG into the temp folder under a random prefix. */
export const previewImage: NodeImplementation = (inputs, ctx) => {
  const letters = [...randomBytes(5)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
  return save(inputs, ctx, 'temp', `ComfyUI_temp_${letters}`);
};

async function save(inputs: Record<string, unknown>, ctx: NodeContext, type: 'output' | 'temp', prefix: string): Promise<NodeResult> {
  const images = expectValue(inputs, 'images', 'IMAGE');
  const { width, height, batch, key } = images;
  const path = await saveImagePath(type === 'output' ? ctx.dirs.output : ctx.dirs.temp, prefix, width, height);
  const text = type === 'output' ? pngText(ctx) : undefined;
  const files: Array<{ filename: string; subfolder: string; type: string }> = [];
  for (let i = 0; i < batch; i += 1) {
    const png = encodePng(tinted(renderScene(`${key}#${i}`, width, height), images.tint), { compressLevel: type === 'output' ? 4 : 1, text });
    const filename = `${path.filename.replaceAll('%batch_num%', String(i))}_${String(path.counter + i).padStart(5, '0')}_.png`;
    await writeFile(join(path.fullDir, filename), png);
    files.push({ filename, subfolder: path.subfolder, type });
  }
  return { outputs: [], ui: { images: files } };
}

/** An image made from an input picture leans halfway towards that picture's mean colour. */
function tinted(image: RgbImage, tint: Tint | undefined): RgbImage {
  if (!tint) return image;
  const p = image.pixels;
  for (let i = 0; i < p.length; i += 1) p[i] = Math.round(p[i]! * 0.5 + tint[i % 3]! * 0.5);
  return image;
}

/** `tEXt` chunks: `prompt` plus each `extra_pnginfo` key, as ASCII JSON (Python's `json.dumps`). */
function pngText(ctx: NodeContext): Record<string, string> {
  const text: Record<string, string> = { prompt: asciiJson(ctx.prompt) };
  const extra = ctx.extraData.extra_pnginfo;
  if (isPlainObject(extra)) for (const [k, v] of Object.entries(extra)) text[k] = asciiJson(v);
  return text;
}

function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
