import { createHash } from 'node:crypto';
import { createWriteStream, open } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Readable, Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { AppError } from '@gantry/domain';
import type { PutSource } from './artifact-store.js';

const openFile = promisify(open);

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
 * when an early error (a refused image's first bytes) has already failed the copy, and the caller's
 * cleanup would then run before the file exists and leave it behind. A plain loop over the source
 * (hash, count, write, wait for drain) rather than a pipeline through a Transform: the same bytes
 * and errors without a pipeline's per-call machinery (an AbortController aborted at its end, a
 * FileHandle whose close ends an already finished stream), which a worker pays per output.
 */
export async function spoolToFile(data: PutSource, file: string, maxBytes?: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  const out = createWriteStream(file, { fd: await openFile(file, 'w') });
  let failed = null as { err: unknown } | null; // set by the error listener
  out.on('error', (err) => (failed ??= { err }));
  try {
    for await (const chunk of Buffer.isBuffer(data) ? [data] : data) {
      const buf = chunk as Uint8Array;
      bytes += buf.length;
      if (maxBytes !== undefined && bytes > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `The object is larger than ${maxBytes} bytes`);
      hash.update(buf);
      if (!out.write(buf)) await once(out, 'drain');
      if (failed) throw failed.err;
    }
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy(); // closes the file; the caller removes it
    throw err;
  }
  return { sha256: hash.digest('hex'), bytes };
}
