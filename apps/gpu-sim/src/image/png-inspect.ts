import { crc32 } from './crc32.js';
import { PNG_SIGNATURE } from './png.js';

export interface PngChunkInfo {
  type: string;
  length: number;
  data: Buffer;
  /** Whether the stored CRC-32 matches the chunk's type and data. */
  crcOk: boolean;
}

export interface PngInfo {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  chunks: PngChunkInfo[];
  /** Whether the signature, IHDR-first, IEND-last and every CRC check out. */
  valid: boolean;
}

/**
 * Reads a PNG's chunk structure and header without decoding pixels, checking every CRC. For
 * tests that must prove an output is a real, intact PNG. Throws on a truncated file.
 */
export function inspectPng(png: Buffer): PngInfo {
  if (png.length < 8 || !png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG: bad signature');
  const chunks: PngChunkInfo[] = [];
  for (let at = 8; at < png.length; ) {
    if (at + 12 > png.length) throw new Error(`truncated chunk header at byte ${at}`);
    const length = png.readUInt32BE(at);
    if (at + 12 + length > png.length) throw new Error(`truncated chunk at byte ${at}`);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const crcOk = crc32(png.subarray(at + 4, at + 8 + length)) === png.readUInt32BE(at + 8 + length);
    chunks.push({ type, length, data, crcOk });
    at += 12 + length;
  }
  const ihdr = chunks[0];
  if (!ihdr || ihdr.type !== 'IHDR' || ihdr.length !== 13) throw new Error('IHDR is not the first chunk');
  return {
    width: ihdr.data.readUInt32BE(0),
    height: ihdr.data.readUInt32BE(4),
    bitDepth: ihdr.data[8]!,
    colourType: ihdr.data[9]!,
    chunks,
    valid: chunks.every((c) => c.crcOk) && chunks.at(-1)?.type === 'IEND' && chunks.some((c) => c.type === 'IDAT'),
  };
}
