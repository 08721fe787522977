import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '@gantry/domain';
import type { ArtifactStore, StoredObject } from './artifact-store.js';

const KEY_RE = /^sha256\/[0-9a-f]{2}\/[0-9a-f]{64}$/;

/**
 * Content-addressed files under one root directory: `sha256/<first byte>/<hash>`. Writes go to a
 * temporary file first and are renamed into place, so a reader never sees half a file.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(private readonly root: string) {}

  async put(data: Buffer): Promise<StoredObject> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const key = `sha256/${sha256.slice(0, 2)}/${sha256}`;
    const target = this.pathOf(key);
    // Equal bytes stored already: mark the blob as freshly written (retention deletes a blob only
    // when no row references it and it was not written lately, so it stays while the caller records
    // its new reference). When it is missing, it is written.
    const now = new Date();
    if (await utimes(target, now, now).then(() => true, () => false)) return { key, sha256, bytes: data.length };
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, data);
    await rename(tmp, target);
    return { key, sha256, bytes: data.length };
  }

  async open(key: string) {
    const file = this.pathOf(key);
    const info = await stat(file).catch(() => null);
    if (!info) throw new AppError('NOT_FOUND', 'The artifact is no longer stored');
    return { stream: createReadStream(file), bytes: info.size };
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
    if (!KEY_RE.test(key)) throw new AppError('BAD_REQUEST', 'Invalid artifact key');
    return path.join(this.root, key);
  }
}
