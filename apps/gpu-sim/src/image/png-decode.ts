import { inflateSync } from 'node:zlib';
import { inspectPng } from './png-inspect.js';

/** A picture's size and mean colour: what the sim's samplers take from an input image. */
export interface ImageSummary {
  width: number;
  height: number;
  /** Mean RGB, 0-255. */
  mean: [number, number, number];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/**
 * Decodes an 8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA; every row filter) far
 * enough to know its size and mean colour. Throws, like PIL's "cannot identify image file", on
 * anything else (palette, 16-bit, interlaced, not a PNG, corrupt).
 */
export function summarisePng(png: Buffer): ImageSummary {
  const info = inspectPng(png);
  if (!info.valid) throw new Error('corrupt PNG');
  const channels = CHANNELS[info.colourType];
  const ihdr = info.chunks[0]!.data;
  if (!channels || info.bitDepth !== 8 || ihdr[12] !== 0) throw new Error(`unsupported PNG (colour type ${info.colourType}, depth ${info.bitDepth})`);
  const raw = inflateSync(Buffer.concat(info.chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  const stride = info.width * channels;
  if (raw.length < (stride + 1) * info.height) throw new Error('PNG data cut short');
  let prev = new Uint8Array(stride);
  const sums: [number, number, number] = [0, 0, 0];
  for (let y = 0; y < info.height; y += 1) {
    const filter = raw[y * (stride + 1)]!;
    const row = new Uint8Array(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i += 1) {
      const a = i >= channels ? row[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const predictor = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
      row[i] = (row[i]! + predictor) & 0xff;
    }
    for (let x = 0; x < info.width; x += 1) {
      const p = x * channels;
      const grey = channels <= 2;
      sums[0] += row[p]!;
      sums[1] += grey ? row[p]! : row[p + 1]!;
      sums[2] += grey ? row[p]! : row[p + 2]!;
    }
    prev = row;
  }
  const n = info.width * info.height;
  return { width: info.width, height: info.height, mean: [sums[0] / n, sums[1] / n, sums[2] / n] };
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
