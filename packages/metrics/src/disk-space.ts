import { statfs } from 'node:fs/promises';
import path from 'node:path';

export interface DiskSpace {
  /** Bytes an unprivileged process may still write (statfs `bavail`). */
  freeBytes: number;
  totalBytes: number;
}

/**
 * Free and total bytes of the filesystem holding `dir`. A directory that does not exist yet (the
 * artifact store creates it on first write) is measured at its nearest existing parent.
 */
export async function diskSpace(dir: string): Promise<DiskSpace> {
  let target = path.resolve(dir);
  for (;;) {
    try {
      const s = await statfs(target);
      return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
    } catch (err) {
      const parent = path.dirname(target);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === target) throw err;
      target = parent;
    }
  }
}
