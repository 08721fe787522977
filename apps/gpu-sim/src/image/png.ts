import { deflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  /** `width * height * 3` bytes. */
  pixels: Uint8Array;
}

export interface PngOptions {
  /** zlib level 0-9. ComfyUI's SaveImage uses 4, PreviewImage 1. */
  compressLevel?: number;
  /** Latin-1 `tEXt` chunks, e.g. `{ prompt: '<json>' }` as ComfyUI embeds. */
  text?: Record<string, string>;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Encodes a real PNG: signature, IHDR (RGB8, no interlace), optional tEXt, one IDAT, IEND.
 * Every row uses filter type 0; output is byte-identical for identical input and options.
 */
export function encodePng(image: RgbImage, options: PngOptions = {}): Buffer {
  const { width, height, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`PNG size must be positive integers, got ${width}x${height}`);
  }
  const stride = width * 3;
  if (pixels.length !== stride * height) {
    throw new RangeError(`Expected ${stride * height} pixel bytes, got ${pixels.length}`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: truecolour RGB
  // bytes 10-12 stay 0: deflate compression, adaptive filtering, no interlace

  // Each scanline is prefixed with its filter-type byte (0 = None).
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const chunks = [chunk('IHDR', ihdr)];
  for (const [keyword, value] of Object.entries(options.text ?? {})) {
    chunks.push(chunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(value, 'latin1')])));
  }
  chunks.push(chunk('IDAT', deflateSync(raw, { level: options.compressLevel ?? 4 })));
  chunks.push(chunk('IEND', Buffer.alloc(0)));
  return Buffer.concat([PNG_SIGNATURE, ...chunks]);
}

/** length (u32 BE) + type + data + CRC-32 over type and data. */
function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
