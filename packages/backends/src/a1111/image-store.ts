import type { DownloadedFile, OutputFile } from '../driver.js';

interface Held extends DownloadedFile {
  at: number;
}

/**
 * The images of recent runs, kept in memory until downloaded: A1111 returns them in the txt2img
 * reply and keeps no copy to fetch later. Bounded in bytes (oldest dropped first) and in age,
 * checked on every access so no timer is needed. A run's files live under its prompt id.
 */
export class ImageStore {
  private readonly held = new Map<string, Held>();
  private bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly ttlMs: number,
  ) {}

  put(file: OutputFile, data: DownloadedFile, now = Date.now()): void {
    const key = keyOf(file);
    this.drop(key);
    this.held.set(key, { ...data, at: now });
    this.bytes += data.data.length;
    this.prune(now);
  }

  get(file: OutputFile, now = Date.now()): DownloadedFile | undefined {
    this.prune(now);
    const held = this.held.get(keyOf(file));
    return held && { data: held.data, contentType: held.contentType };
  }

  clear(): void {
    this.held.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.held.size;
  }

  private prune(now: number): void {
    // Map order is insertion order: the oldest come first. The newest entry always stays.
    for (const [key, held] of this.held) {
      if (this.held.size <= 1 || (this.bytes <= this.maxBytes && now - held.at < this.ttlMs)) break;
      this.drop(key);
    }
  }

  private drop(key: string): void {
    const held = this.held.get(key);
    if (!held) return;
    this.held.delete(key);
    this.bytes -= held.data.length;
  }
}

function keyOf(file: OutputFile): string {
  return `${file.type}\0${file.subfolder}\0${file.filename}`;
}
