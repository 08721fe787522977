import { deflateSync, crc32 } from 'node:zlib';

/** Test images built byte by byte: real headers, so the upload checks see what a client sends. */

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}

/** A real RGB PNG of one colour (decodable), or with a header claiming any size (`claim`). */
export function png(width: number, height: number, rgb: [number, number, number] = [200, 40, 40], claim?: { width: number; height: number }): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(claim?.width ?? width, 0);
  ihdr.writeUInt32BE(claim?.height ?? height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A JPEG's structure (SOI, APP0, APP1 segments of `app1Bytes` in all, SOF0 with the size, SOS, data, EOI); not decodable. */
export function jpeg(width: number, height: number, app1Bytes = 100): Buffer {
  const seg = (marker: number, body: Buffer) => {
    const head = Buffer.from([0xff, marker, 0, 0]);
    head.writeUInt16BE(body.length + 2, 2);
    return Buffer.concat([head, body]);
  };
  const sof = Buffer.alloc(15);
  sof[0] = 8;
  sof.writeUInt16BE(height, 1);
  sof.writeUInt16BE(width, 3);
  sof[5] = 3;
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    seg(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1')),
    // Metadata (EXIF, ICC) before the frame header, in segments of at most 60000 bytes.
    ...Array.from({ length: Math.ceil(app1Bytes / 60_000) }, (_, i) => seg(0xe1, Buffer.alloc(Math.min(60_000, app1Bytes - i * 60_000), 0x41))),
    seg(0xc0, sof),
    seg(0xda, Buffer.from([1, 1, 0, 0, 0x3f, 0])),
    Buffer.alloc(64, 0x55),
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** A lossless WebP's header (RIFF, VP8L with the size) and filler; not decodable. */
export function webp(width: number, height: number): Buffer {
  const bits = Buffer.alloc(5);
  bits[0] = 0x2f;
  bits.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 1);
  const payload = Buffer.concat([bits, Buffer.alloc(31, 0)]);
  const vp8l = Buffer.concat([Buffer.from('VP8L'), Buffer.alloc(4), payload]);
  vp8l.writeUInt32LE(payload.length, 4);
  const body = Buffer.concat([Buffer.from('WEBP'), vp8l]);
  const riff = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), body]);
  riff.writeUInt32LE(body.length, 4);
  return riff;
}
