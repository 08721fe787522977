import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
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
  /** Directories made (or found) once: a put does not ask for them again, unless one vanished. */
  private readonly made = new Set<string>();

  constructor(private readonly root: string) {}

  async put(data: PutSource, options: PutOptions = {}): Promise<StoredObject> {
    const spoolDir = path.join(this.root, 'tmp');
    const tmp = path.join(spoolDir, `${randomBytes(8).toString('hex')}.tmp`);
    let moved = false;
    try {
      // The spool file is opened before any byte is read, so a missing directory fails first.
      const { sha256, bytes } = await this.inDir(spoolDir, () => spoolToFile(data, tmp, options.maxBytes), 'open', tmp);
      const key = contentKey(sha256);
      const target = this.pathOf(key);
      // The spooled file becomes the blob, also when equal bytes are stored already: the rename
      // swaps in the same bytes atomically with a fresh last-written time (retention deletes a blob
      // only when no row references it and it was not written lately, so it stays while the caller
      // records its new reference). A reader that has the old file open keeps reading it. One file
      // system call, where asking first (refresh the time, else rename) took two.
      await this.inDir(path.dirname(target), () => rename(tmp, target), 'rename', tmp);
      moved = true;
      return { key, sha256, bytes };
    } finally {
      if (!moved) await rm(tmp, { force: true });
    }
  }

  /**
   * Runs `step` in `dir`, made on first use. When `step` fails with ENOENT at `syscall` on `file`
   * (the directory was removed since), the directory is made again and `step` runs once more.
   */
  private async inDir<T>(dir: string, step: () => Promise<T>, syscall: string, file: string): Promise<T> {
    if (!this.made.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
      return step();
    }
    try {
      return await step();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code !== 'ENOENT' || e.syscall !== syscall || e.path !== file) throw err;
      this.made.delete(dir);
      await mkdir(dir, { recursive: true });
      this.made.add(dir);
      return step();
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
