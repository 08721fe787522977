import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Key to read the object back with; content-addressed, so equal bytes share one key. */
  key: string;
  sha256: string;
  bytes: number;
}

/** Where job outputs live. Local directory by default; the interface fits S3-compatible stores. */
export interface ArtifactStore {
  /** Stores the bytes; storing bytes already there refreshes the object's last-written time. */
  put(data: Buffer): Promise<StoredObject>;
  /** A stream of the object's bytes; rejects with AppError NOT_FOUND when it is missing. */
  open(key: string): Promise<{ stream: Readable; bytes: number }>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * When the object was last written, `put` of equal bytes included (null when missing). Retention
   * leaves objects written lately alone. Optional: a store without it is treated as written long ago.
   */
  lastWrittenAt?(key: string): Promise<Date | null>;
  /** A short description for logs and health output (never credentials). */
  describe(): string;
}
