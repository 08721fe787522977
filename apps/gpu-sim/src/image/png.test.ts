import { randomBytes } from 'node:crypto';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { crc32 } from './crc32.js';
import { encodePng, PNG_SIGNATURE } from './png.js';
import { inspectPng } from './png-inspect.js';
import { renderScene } from './render.js';

/** Splits a PNG into chunks by hand, checking CRCs with zlib's independent implementation. */
function chunksOf(png: Buffer): Array<{ type: string; data: Buffer }> {
  const chunks: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typeAndData = png.subarray(at + 4, at + 8 + length);
    expect(zlibCrc32(typeAndData)).toBe(png.readUInt32BE(at + 8 + length));
    chunks.push({ type: typeAndData.toString('latin1', 0, 4), data: typeAndData.subarray(4) });
    at += 12 + length;
  }
  return chunks;
}

describe('crc32', () => {
  it('matches the standard check value and zlib', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    const data = randomBytes(4096);
    expect(crc32(data)).toBe(zlibCrc32(data));
    expect(crc32(data.subarray(1000), crc32(data.subarray(0, 1000)))).toBe(zlibCrc32(data));
  });
});

describe('encodePng', () => {
  const image = { width: 7, height: 5, pixels: Uint8Array.from({ length: 7 * 5 * 3 }, (_, i) => (i * 37) % 256) };

  it('writes signature, IHDR (RGB8), IDAT and IEND with valid CRCs', () => {
    const png = encodePng(image);
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    const chunks = chunksOf(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = chunks[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[10], ihdr[11], ihdr[12]]).toEqual([7, 5, 8, 2, 0, 0, 0]);
    expect(chunks[2]!.data.length).toBe(0);
  });

  it('stores every row with filter 0 followed by the exact pixels', () => {
    const raw = inflateSync(chunksOf(encodePng(image))[1]!.data);
    expect(raw.length).toBe(5 * (1 + 7 * 3));
    for (let y = 0; y < 5; y += 1) {
      const row = raw.subarray(y * 22, (y + 1) * 22);
      expect(row[0]).toBe(0);
      expect(Buffer.from(row.subarray(1)).equals(Buffer.from(image.pixels.subarray(y * 21, (y + 1) * 21)))).toBe(true);
    }
  });

  it('adds tEXt chunks before the image data', () => {
    const chunks = chunksOf(encodePng(image, { text: { prompt: '{"a":1}' } }));
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'tEXt', 'IDAT', 'IEND']);
    expect(chunks[1]!.data.toString('latin1')).toBe('prompt\0{"a":1}');
  });

  it('rejects sizes that do not match the pixels', () => {
    expect(() => encodePng({ width: 0, height: 1, pixels: new Uint8Array(0) })).toThrow(RangeError);
    expect(() => encodePng({ width: 2, height: 2, pixels: new Uint8Array(11) })).toThrow(RangeError);
  });
});

describe('rendered images', () => {
  it('are byte-identical for the same key and differ for another key', () => {
    const a = encodePng(renderScene('seed=1|a cat', 64, 48));
    const b = encodePng(renderScene('seed=1|a cat', 64, 48));
    const c = encodePng(renderScene('seed=2|a cat', 64, 48));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('are not flat: a picture, not a solid fill', () => {
    const { pixels } = renderScene('seed=3', 32, 32);
    expect(new Set(pixels).size).toBeGreaterThan(50);
  });

  it('pass inspectPng, which also catches corruption', () => {
    const png = encodePng(renderScene('k', 16, 9));
    const info = inspectPng(png);
    expect(info).toMatchObject({ width: 16, height: 9, bitDepth: 8, colourType: 2, valid: true });
    const corrupt = Buffer.from(png);
    corrupt[40] = corrupt[40]! ^ 0xff;
    expect(inspectPng(corrupt).valid).toBe(false);
    expect(() => inspectPng(png.subarray(0, 30))).toThrow();
  });
});
