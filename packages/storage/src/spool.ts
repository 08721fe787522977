import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@gantry/domain';
import type { PutSource } from './artifact-store.js';

/** A readable stream of the source's bytes, whatever form it came in. */
export function toReadable(data: PutSource): Readable {
  if (Buffer.isBuffer(data)) return Readable.from([data]);
  if (data instanceof Readable) return data;
  return Readable.from(data);
}

/**
 * A pass-through that hashes and counts the bytes and fails with PAYLOAD_TOO_LARGE once more than
 * `maxBytes` went through it. `result()` reads the totals after the stream ended.
 */
export function measuringStream(maxBytes?: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (maxBytes !== undefined && bytes > maxBytes) {
        done(new AppError('PAYLOAD_TOO_LARGE', `The object is larger than ${maxBytes} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), bytes }) };
}

/**
 * Streams the source into `file` while hashing it; the caller removes the file afterwards. The file
 * is opened before any byte flows: a write stream that opens it lazily can still be creating it
 * when an early error (a refused image's first bytes) has already failed the pipeline, and the
 * caller's cleanup would then run before the file exists and leave it behind.
 */
export async function spoolToFile(data: PutSource, file: string, maxBytes?: number) {
  const measure = measuringStream(maxBytes);
  const handle = await open(file, 'w');
  try {
    await pipeline(toReadable(data), measure.stream, handle.createWriteStream());
  } finally {
    await handle.close().catch(() => undefined); // already closed by the stream on success
  }
  return measure.result();
}
