import { crc32 } from 'node:zlib';
import { AppError } from '@gantry/domain';

/** The image types Gantry takes as inputs, told apart by their magic bytes only. */
export type ImageType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface ImageHeader {
  contentType: ImageType;
  width: number;
  height: number;
}

/** More bytes are needed to read the header. */
export const NEED_MORE = 'more' as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const PNG_IEND = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
/** JPEG frame headers (SOF0-3, 5-7, 9-11, 13-15); C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
const JPEG_SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

export const corrupt = (why: string) => new AppError('IMAGE_CORRUPT', `The image is truncated or corrupt: ${why}`);
const unsupported = () => new AppError('IMAGE_TYPE_UNSUPPORTED', 'The bytes are not a PNG, JPEG or WebP image (the type is read from the content, not the name or Content-Type)');

/**
 * The type and size of an image from its first bytes, without decoding anything: PNG's IHDR,
 * JPEG's first frame header (SOFn, after any APPn/DQT/... segments), WebP's VP8/VP8L/VP8X header.
 * Returns NEED_MORE while `head` is too short (`complete`: no more bytes will come, so too short
 * is corrupt). Throws IMAGE_TYPE_UNSUPPORTED for other content and IMAGE_CORRUPT for a broken header.
 */
export function readImageHeader(head: Buffer, complete: boolean): ImageHeader | typeof NEED_MORE {
  const more = (why: string) => {
    if (complete) throw corrupt(why);
    return NEED_MORE;
  };
  if (head.length === 0 && complete) throw unsupported();
  if (startsLike(head, PNG_SIGNATURE)) return head.length < 33 ? more('PNG header cut short') : png(head);
  if (startsLike(head, Buffer.from([0xff, 0xd8, 0xff]))) return head.length < 4 ? more('JPEG header cut short') : jpeg(head, more);
  if (startsLike(head, Buffer.from('RIFF')) && (head.length < 12 || head.subarray(8, 12).toString('latin1') === 'WEBP')) {
    return head.length < 30 ? more('WebP header cut short') : webp(head);
  }
  throw unsupported();
}

/** Whether `head` starts with `magic` (or, while shorter, could still). */
function startsLike(head: Buffer, magic: Buffer): boolean {
  const n = Math.min(head.length, magic.length);
  return n > 0 && head.subarray(0, n).equals(magic.subarray(0, n));
}

function png(head: Buffer): ImageHeader {
  if (head.readUInt32BE(8) !== 13 || head.subarray(12, 16).toString('latin1') !== 'IHDR') throw corrupt('PNG without IHDR first');
  if (crc32(head.subarray(12, 29)) !== head.readUInt32BE(29)) throw corrupt('PNG IHDR checksum mismatch');
  return sized('image/png', head.readUInt32BE(16), head.readUInt32BE(20));
}

function jpeg(head: Buffer, more: (why: string) => typeof NEED_MORE): ImageHeader | typeof NEED_MORE {
  let at = 2;
  for (;;) {
    if (at + 2 > head.length) return more('JPEG ends before its frame header');
    if (head[at] !== 0xff) throw corrupt('JPEG segment without a marker');
    const marker = head[at + 1]!;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw corrupt('JPEG without a frame header before its scan');
    if (at + 4 > head.length) return more('JPEG segment cut short');
    const length = head.readUInt16BE(at + 2);
    if (length < 2) throw corrupt('JPEG segment length below 2');
    if (JPEG_SOF.has(marker)) {
      if (at + 9 > head.length) return more('JPEG frame header cut short');
      return sized('image/jpeg', head.readUInt16BE(at + 7), head.readUInt16BE(at + 5));
    }
    at += 2 + length;
  }
}

function webp(head: Buffer): ImageHeader {
  const chunk = head.subarray(12, 16).toString('latin1');
  if (chunk === 'VP8X') return sized('image/webp', head.readUIntLE(24, 3) + 1, head.readUIntLE(27, 3) + 1);
  if (chunk === 'VP8L') {
    if (head[20] !== 0x2f) throw corrupt('WebP lossless without its signature');
    const bits = head.readUInt32LE(21);
    return sized('image/webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8 ') {
    if (head[23] !== 0x9d || head[24] !== 0x01 || head[25] !== 0x2a) throw corrupt('WebP lossy without its start code');
    return sized('image/webp', head.readUInt16LE(26) & 0x3fff, head.readUInt16LE(28) & 0x3fff);
  }
  throw corrupt('WebP without a VP8, VP8L or VP8X chunk first');
}

function sized(contentType: ImageType, width: number, height: number): ImageHeader {
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw corrupt(`impossible size ${width}x${height}`);
  return { contentType, width, height };
}

/**
 * Whether the image ends as its type requires, given its last bytes and its size: PNG with IEND,
 * JPEG with EOI, WebP at the end its RIFF header announced. A truncated upload fails here.
 */
export function checkImageEnd(type: ImageType, tail: Buffer, totalBytes: number, riffSize: number | null): void {
  if (type === 'image/png' && !(tail.length >= 12 && tail.subarray(tail.length - 12).equals(PNG_IEND))) throw corrupt('PNG without IEND (truncated?)');
  if (type === 'image/jpeg' && !(tail.length >= 2 && tail[tail.length - 2] === 0xff && tail[tail.length - 1] === 0xd9)) throw corrupt('JPEG without its end marker (truncated?)');
  if (type === 'image/webp' && riffSize !== null && totalBytes !== riffSize + 8) {
    throw corrupt(`WebP of ${totalBytes} bytes where its header announces ${riffSize + 8} (truncated?)`);
  }
}
