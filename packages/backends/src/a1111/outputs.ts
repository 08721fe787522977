import { backendError } from '../comfyui/errors.js';
import { isRecord } from '../comfyui/messages.js';
import type { DownloadedFile, OutputFile } from '../driver.js';
import { parseJson, textOf, type A1111Reply } from './http.js';

/** Where a run's files go and what they are called: `txt2img` / `output` for parameter jobs. */
export interface OutputTarget {
  nodeId: string;
  type: 'output' | 'temp';
  /** The run's prompt id: keeps runs with the same seeds apart. */
  subfolder: string;
  /** Seed of image `n` when the reply's `info` does not say (A1111 always does). */
  fallbackSeed(n: number): string;
}

/** The images of a reply, as files with their content, and its `info`. */
export interface Txt2ImgOutput {
  files: Array<{ file: OutputFile; content: DownloadedFile }>;
  /** The parsed `info` (`Processed.js()`), `{}` when it is missing or not JSON. */
  info: Record<string, unknown>;
}

/** Image formats by magic number (`opts.samples_format` may be png, jpg or webp). */
function sniff(data: Buffer): { contentType: string; ext: string } | null {
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return { contentType: 'image/png', ext: 'png' };
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return { contentType: 'image/jpeg', ext: 'jpg' };
  if (data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WEBP') return { contentType: 'image/webp', ext: 'webp' };
  return null;
}

/**
 * Reads a 200 txt2img reply: `images` are base64 (some forks send data: URIs), `info` is a JSON
 * string whose `index_of_first_image` skips a grid and whose `all_seeds` name the other images. Files
 * are named `txt2img_<seed>_<n>.<ext>`. Anything that is not an image fails BACKEND_ERROR.
 */
export function readTxt2ImgReply(reply: A1111Reply, target: OutputTarget): Txt2ImgOutput {
  const body = parseJson(reply);
  if (!isRecord(body) || (body.images !== null && body.images !== undefined && !Array.isArray(body.images))) {
    throw backendError('POST /sdapi/v1/txt2img: the reply is not {images, parameters, info}', { body: textOf(reply) });
  }
  const info = typeof body.info === 'string' ? parseJson({ status: 200, body: Buffer.from(body.info) }) : body.info;
  const details = isRecord(info) ? info : {};
  const first = typeof details.index_of_first_image === 'number' ? details.index_of_first_image : 0;
  const seeds = Array.isArray(details.all_seeds) ? details.all_seeds : [];
  const images = ((body.images ?? []) as unknown[]).slice(first);
  const files = images.map((item, n) => {
    const data = typeof item === 'string' ? Buffer.from(item.replace(/^data:[^,]*,/, ''), 'base64') : Buffer.alloc(0);
    const format = sniff(data);
    if (!format) throw backendError(`POST /sdapi/v1/txt2img: image ${n} is not a PNG, JPEG or WebP`, { index: n, bytes: data.length });
    const seed = typeof seeds[n] === 'number' ? String(seeds[n]) : target.fallbackSeed(n);
    const file: OutputFile = { nodeId: target.nodeId, filename: `txt2img_${seed}_${n}.${format.ext}`, subfolder: target.subfolder, type: target.type };
    return { file, content: { data, contentType: format.contentType } };
  });
  return { files, info: details };
}
