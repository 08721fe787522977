import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { summarisePng } from '../image/png-decode.js';
import { NodeException } from './errors.js';
import type { NodeContext, NodeImplementation } from './node-context.js';
import { expectValue } from './values.js';

/** An input file by its ComfyUI name (`subfolder/name.png`, optionally `[input]`-annotated), kept inside the input folder. */
async function readInput(ctx: NodeContext, name: string): Promise<Buffer> {
  const bare = name.replace(/ \[input\]$/, '');
  const file = resolve(ctx.dirs.input, bare);
  const rel = relative(ctx.dirs.input, file);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new NodeException('ValueError', `Invalid image file: ${name}`);
  try {
    return await readFile(join(ctx.dirs.input, rel));
  } catch {
    throw new NodeException('FileNotFoundError', `[Errno 2] No such file or directory: '${bare}'`);
  }
}

async function loadPicture(ctx: NodeContext, name: string) {
  const bytes = await readInput(ctx, name);
  let summary;
  try {
    summary = summarisePng(bytes);
  } catch (err) {
    throw new NodeException('UnidentifiedImageError', `cannot identify image file '${name}' (${(err as Error).message}; the sim reads 8-bit PNGs)`);
  }
  return { ...summary, sha: createHash('sha256').update(bytes).digest('hex') };
}

/** LoadImage: the picture (size and mean colour from the file's pixels) and its mask. */
export const loadImage: NodeImplementation = async (inputs, ctx) => {
  const pic = await loadPicture(ctx, String(inputs.image));
  const key = `input/${pic.sha}`;
  return {
    outputs: [
      { kind: 'IMAGE', width: pic.width, height: pic.height, batch: 1, key, tint: pic.mean },
      { kind: 'MASK', width: pic.width, height: pic.height, key },
    ],
  };
};

/** LoadImageMask: one channel of a picture as a mask. */
export const loadImageMask: NodeImplementation = async (inputs, ctx) => {
  const pic = await loadPicture(ctx, String(inputs.image));
  return { outputs: [{ kind: 'MASK', width: pic.width, height: pic.height, key: `mask/${pic.sha}/${String(inputs.channel)}` }] };
};

/** VAEEncode: pixels to a latent of the picture's size, carrying what the picture looks like. */
export const vaeEncode: NodeImplementation = async (inputs) => {
  const image = expectValue(inputs, 'pixels', 'IMAGE');
  const vae = expectValue(inputs, 'vae', 'VAE');
  return { outputs: [{ kind: 'LATENT', width: image.width, height: image.height, batch: image.batch, key: `${image.key}/${vae.checkpoint}`, ...(image.tint ? { tint: image.tint } : {}) }] };
};

/** SetLatentNoiseMask: the latent, now also depending on the mask (inpainting). */
export const setLatentNoiseMask: NodeImplementation = async (inputs) => {
  const latent = expectValue(inputs, 'samples', 'LATENT');
  const mask = expectValue(inputs, 'mask', 'MASK');
  return { outputs: [{ ...latent, key: `${latent.key ?? 'empty'}/${mask.key}` }] };
};
