import { Readable } from 'node:stream';
import { AppError, uuidv7, type ErrorCode } from '@gantry/domain';
import { upsertUpload, type UploadRow } from '@gantry/db';
import type { ArtifactStore } from '@gantry/storage';
import type { UploadConfig } from '../context.js';
import { ImageGate } from './image-gate.js';

export interface StoredImage {
  upload: UploadRow;
  /** False when the tenant had uploaded the same bytes before (same row, same id). */
  created: boolean;
}

/**
 * Streams an image into the store and records it as the tenant's upload: the type and size come
 * from the bytes (ImageGate), the byte ceiling is enforced while streaming (`tooLarge`: the code
 * the caller's clients expect), and nothing is stored when any check fails.
 */
export async function storeImage(
  deps: { db: Parameters<typeof upsertUpload>[0]; store: ArtifactStore },
  config: UploadConfig,
  tenantId: string,
  source: Readable | Buffer,
  tooLarge: ErrorCode,
): Promise<StoredImage> {
  if (Buffer.isBuffer(source) && source.length > config.maxBytes) throw tooLargeError(tooLarge, config.maxBytes);
  const gate = new ImageGate(config.maxPixels, config.maxBytes);
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  // An error of the source (client gone, fetch timed out) must fail the gate, hence the store's put.
  input.once('error', (err) => gate.destroy(err));
  // The bytes start flowing when the store starts reading, so every error of the gate reaches it.
  async function* gated() {
    yield* input.pipe(gate) as AsyncIterable<Buffer>;
  }
  let stored;
  try {
    stored = await deps.store.put(Readable.from(gated(), { objectMode: false }), { maxBytes: config.maxBytes });
  } catch (err) {
    if (err instanceof AppError && err.code === 'PAYLOAD_TOO_LARGE') throw tooLargeError(tooLarge, config.maxBytes);
    throw err;
  } finally {
    input.unpipe(gate);
  }
  const header = gate.header;
  const { row, created } = await upsertUpload(deps.db, uuidv7(), {
    tenantId,
    sha256: stored.sha256,
    contentType: header.contentType,
    bytes: stored.bytes,
    width: header.width,
    height: header.height,
    storageKey: stored.key,
  });
  return { upload: row, created };
}

function tooLargeError(code: ErrorCode, maxBytes: number): AppError {
  return new AppError(code, `The image is larger than ${maxBytes} bytes (GANTRY_UPLOAD_MAX_BYTES)`, { details: { maxBytes } });
}
