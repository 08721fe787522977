import { createHash } from 'node:crypto';
import { createWriteStream, open } from 'node:fs';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Readable, Transform, type Writable } from 'node:stream';
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
 * Hashes and counts bytes as they are added; `add` throws PAYLOAD_TOO_LARGE once more than
 * `maxBytes` came. `result()` reads the totals after the last chunk.
 */
function byteMeter(maxBytes?: number) {
  const hash = createHash('sha256');
  let bytes = 0;
  return {
    add(chunk: Uint8Array): void {
      bytes += chunk.length;
      if (maxBytes !== undefined && bytes > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', `The object is larger than ${maxBytes} bytes`);
      hash.update(chunk);
    },
    result: () => ({ sha256: hash.digest('hex'), bytes }),
  };
}

/**
 * A pass-through that hashes and counts the bytes and fails with PAYLOAD_TOO_LARGE once more than
 * `maxBytes` went through it. `result()` reads the totals after the stream ended.
 */
export function measuringStream(maxBytes?: number) {
  const meter = byteMeter(maxBytes);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      try {
        meter.add(chunk);
      } catch (err) {
        done(err as Error);
        return;
      }
      done(null, chunk);
    },
  });
  return { stream, result: meter.result };
}

/**
 * Streams the source into `file` while hashing it; the caller removes the file afterwards. The file
 * is opened before any byte flows: a write stream that opens it lazily can still be creating it
 * when an early error (a refused image's first bytes) has already failed the copy, and the caller's
 * cleanup would then run before the file exists and leave it behind.
 */
export async function spoolToFile(data: PutSource, file: string, maxBytes?: number) {
  return copyMeasured(data, createWriteStream(file, { fd: await openFile(file, 'w') }), maxBytes);
}

/**
 * Writes the source's bytes to `out` while hashing and counting them (PAYLOAD_TOO_LARGE past
 * `maxBytes`), ends it and waits until it finished; on any failure `out` is destroyed (a file
 * stream closes its file) and the error thrown. A plain loop (hash, count, write, wait for drain)
 * rather than a pipeline through a Transform: the same bytes and errors without a pipeline's
 * per-call machinery (an AbortController aborted at its end, a FileHandle whose close ends an
 * already finished stream), which a worker pays per output. A write that failed while the loop
 * waited for the next chunk is seen before the next write (a destroyed stream emits no `drain`).
 */
export async function copyMeasured(data: PutSource, out: Writable, maxBytes?: number) {
  const meter = byteMeter(maxBytes);
  out.on('error', () => undefined); // kept in out.errored, thrown by the loop
  try {
    for await (const chunk of Buffer.isBuffer(data) ? [data] : data) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
      meter.add(buf);
      if (out.errored) throw out.errored;
      if (!out.write(buf)) await once(out, 'drain'); // rejects if `out` fails meanwhile
    }
    if (out.errored) throw out.errored;
    out.end();
    await finished(out);
  } catch (err) {
    out.destroy(); // closes the file; the caller removes it
    throw err;
  }
  return meter.result();
}
