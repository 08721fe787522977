import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
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

/** Streams the source into `file` while hashing it; the caller removes the file afterwards. */
export async function spoolToFile(data: PutSource, file: string, maxBytes?: number) {
  const measure = measuringStream(maxBytes);
  await pipeline(toReadable(data), measure.stream, createWriteStream(file));
  return measure.result();
}
