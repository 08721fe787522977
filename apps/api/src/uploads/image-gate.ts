import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '@gantry/domain';
import { NEED_MORE, checkImageEnd, corrupt, readImageHeader, type ImageHeader } from './image-header.js';

/** Bytes read at most to find the header (JPEG may put APPn segments, EXIF and ICC first). */
const MAX_HEAD_BYTES = 4 * 1024 * 1024;

/**
 * A pass-through that lets an image through only when it is one: its header is read from the
 * first bytes (held back until then, at most 4 MiB), the pixel ceiling is applied before any byte
 * goes on, and the end is checked when the stream ends. Fails with IMAGE_TYPE_UNSUPPORTED,
 * IMAGE_CORRUPT, IMAGE_TOO_MANY_PIXELS or PAYLOAD_TOO_LARGE; the store then keeps nothing.
 */
export class ImageGate extends Transform {
  private head: Buffer[] = [];
  private headBytes = 0;
  private found: ImageHeader | null = null;
  private tail = Buffer.alloc(0);
  private total = 0;
  private riffSize: number | null = null;

  constructor(
    private readonly maxPixels: number,
    /** Also counted here (the store counts too), so the ceiling wins over a check at the end. */
    private readonly maxBytes = Number.POSITIVE_INFINITY,
  ) {
    super();
  }

  /** The header, once the stream ended without error. */
  get header(): ImageHeader {
    if (!this.found) throw new AppError('INTERNAL', 'image header read before the stream ended');
    return this.found;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      this.total += chunk.length;
      if (this.total > this.maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `The object is larger than ${this.maxBytes} bytes`);
      this.keepTail(chunk);
      if (this.found) {
        done(null, chunk);
        return;
      }
      this.head.push(chunk);
      this.headBytes += chunk.length;
      const head = Buffer.concat(this.head);
      this.head = [head];
      const result = readImageHeader(head, false);
      if (result === NEED_MORE) {
        if (this.headBytes > MAX_HEAD_BYTES) throw corrupt(`no image header within the first ${MAX_HEAD_BYTES} bytes`);
        done();
        return;
      }
      this.accept(result, head);
      this.head = [];
      done(null, head);
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.found) {
        const head = Buffer.concat(this.head);
        const result = readImageHeader(head, true);
        if (result === NEED_MORE) throw corrupt('cut short');
        this.accept(result, head);
        this.push(head);
      }
      checkImageEnd(this.found!.contentType, this.tail, this.total, this.riffSize);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private accept(header: ImageHeader, head: Buffer): void {
    const pixels = header.width * header.height;
    if (pixels > this.maxPixels) {
      throw new AppError('IMAGE_TOO_MANY_PIXELS', `The image is ${header.width}x${header.height} (${pixels} pixels); the ceiling is ${this.maxPixels} pixels`, {
        details: { width: header.width, height: header.height, maxPixels: this.maxPixels },
      });
    }
    if (header.contentType === 'image/webp') this.riffSize = head.readUInt32LE(4);
    this.found = header;
  }

  private keepTail(chunk: Buffer): void {
    this.tail = chunk.length >= 12 ? Buffer.from(chunk.subarray(chunk.length - 12)) : Buffer.concat([this.tail, chunk]).subarray(-12);
  }
}
