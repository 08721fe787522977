import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Key to read the object back with; content-addressed, so equal bytes share one key. */
  key: string;
  sha256: string;
  bytes: number;
}

/** Where job outputs live. Local directory by default; the interface fits S3-compatible stores. */
export interface ArtifactStore {
  put(data: Buffer): Promise<StoredObject>;
  /** A stream of the object's bytes; rejects with AppError NOT_FOUND when it is missing. */
  open(key: string): Promise<{ stream: Readable; bytes: number }>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** A short description for logs and health output (never credentials). */
  describe(): string;
}
