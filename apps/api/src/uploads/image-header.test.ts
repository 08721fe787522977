import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { jpeg, png, webp } from '../../test/images';
import { ImageGate } from './image-gate';
import { NEED_MORE, readImageHeader } from './image-header';

async function gate(bytes: Buffer, maxPixels = 1e9, chunk = 7): Promise<ImageGate> {
  const g = new ImageGate(maxPixels);
  const parts = Array.from({ length: Math.ceil(bytes.length / chunk) }, (_, i) => bytes.subarray(i * chunk, (i + 1) * chunk));
  let passed = 0;
  await pipeline(Readable.from(parts), g, new Writable({ write: (c: Buffer, _e, done) => { passed += c.length; done(); } }));
  expect(passed).toBe(bytes.length);
  return g;
}

describe('image header reader', () => {
  it('reads PNG, JPEG (past its APP segments) and WebP sizes from the header', () => {
    expect(readImageHeader(png(3, 2), true)).toEqual({ contentType: 'image/png', width: 3, height: 2 });
    expect(readImageHeader(jpeg(640, 480, 5000), true)).toEqual({ contentType: 'image/jpeg', width: 640, height: 480 });
    expect(readImageHeader(webp(300, 200), true)).toEqual({ contentType: 'image/webp', width: 300, height: 200 });
  });

  it('asks for more bytes while the header is incomplete, and calls a short complete image corrupt', () => {
    expect(readImageHeader(png(3, 2).subarray(0, 20), false)).toBe(NEED_MORE);
    expect(readImageHeader(jpeg(10, 10, 5000).subarray(0, 3000), false)).toBe(NEED_MORE);
    expect(() => readImageHeader(png(3, 2).subarray(0, 20), true)).toThrow(expect.objectContaining({ code: 'IMAGE_CORRUPT' }));
  });

  it('refuses other content by its bytes (GIF, text, empty) and a broken header', () => {
    for (const bytes of [Buffer.from('GIF89a....'), Buffer.from('hello world, not an image'), Buffer.alloc(0)]) {
      expect(() => readImageHeader(bytes, true)).toThrow(expect.objectContaining({ code: 'IMAGE_TYPE_UNSUPPORTED' }));
    }
    const bad = Buffer.from(png(3, 2));
    bad[20] = bad[20]! ^ 0xff; // height changed: the IHDR CRC no longer matches
    expect(() => readImageHeader(bad, true)).toThrow(expect.objectContaining({ code: 'IMAGE_CORRUPT' }));
    expect(() => readImageHeader(png(3, 2, [0, 0, 0], { width: 0, height: 2 }), true)).toThrow(expect.objectContaining({ code: 'IMAGE_CORRUPT' }));
  });
});

describe('ImageGate', () => {
  it('passes every byte of an image streamed in small chunks and reports its header', async () => {
    for (const bytes of [png(5, 4), jpeg(33, 44, 70_000), webp(7, 9)]) {
      const g = await gate(bytes);
      expect(g.header.width).toBeGreaterThan(0);
    }
  });

  it('refuses truncated images of each type', async () => {
    for (const bytes of [png(5, 4), jpeg(33, 44), webp(7, 9)]) {
      await expect(gate(bytes.subarray(0, bytes.length - 3))).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    }
  });

  it('refuses a decompression bomb by its header, before passing any byte on', async () => {
    const bomb = png(2, 2, [0, 0, 0], { width: 100_000, height: 100_000 });
    const g = new ImageGate(64 * 1024 * 1024);
    let passed = 0;
    await expect(pipeline(Readable.from([bomb]), g, new Writable({ write: (c: Buffer, _e, done) => { passed += c.length; done(); } })))
      .rejects.toMatchObject({ code: 'IMAGE_TOO_MANY_PIXELS' });
    expect(passed).toBe(0);
  });
});
