import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@gantry/domain';
import type { ArtifactStore, ByteRange, PutOptions, PutSource, StoredObject } from './artifact-store.js';
import { contentKey, isContentKey } from './content-key.js';
import { spoolToFile } from './spool.js';

/**
 * Content-addressed files under one root directory: `sha256/<first byte>/<hash>`. Bytes stream to
 * a temporary file while they are hashed, and the file is renamed into place, so a reader never
 * sees half a file and no object is held in memory whole.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async put(data: PutSource, options: PutOptions = {}): Promise<StoredObject> {
    const spoolDir = path.join(this.root, 'tmp');
    await mkdir(spoolDir, { recursive: true });
    const tmp = path.join(spoolDir, `${randomBytes(8).toString('hex')}.tmp`);
    try {
      const { sha256, bytes } = await spoolToFile(data, tmp, options.maxBytes);
      const key = contentKey(sha256);
      const target = this.pathOf(key);
      // Equal bytes stored already: mark the blob as freshly written (retention deletes a blob only
      // when no row references it and it was not written lately, so it stays while the caller
      // records its new reference). When it is missing, the spooled file becomes it.
      const now = new Date();
      if (await utimes(target, now, now).then(() => true, () => false)) return { key, sha256, bytes };
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
      return { key, sha256, bytes };
    } finally {
      await rm(tmp, { force: true });
    }
  }

  async open(key: string, range?: ByteRange) {
    const file = this.pathOf(key);
    const info = await stat(file).catch(() => null);
    if (!info) throw new AppError('NOT_FOUND', 'The artifact is no longer stored');
    const stream = range ? createReadStream(file, { start: range.start, end: range.end }) : createReadStream(file);
    return { stream, bytes: info.size };
  }

  async exists(key: string): Promise<boolean> {
    return (await stat(this.pathOf(key)).catch(() => null)) !== null;
  }

  async lastWrittenAt(key: string): Promise<Date | null> {
    return (await stat(this.pathOf(key)).catch(() => null))?.mtime ?? null;
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  describe(): string {
    return `local:${this.root}`;
  }

  /** Keys are validated so that no caller can make the store touch a path outside its root. */
  private pathOf(key: string): string {
    if (!isContentKey(key)) throw new AppError('BAD_REQUEST', 'Invalid artifact key');
    return path.join(this.root, key);
  }
}
