import type { Readable } from 'node:stream';

export interface StoredObject {
  /** Key to read the object back with; content-addressed, so equal bytes share one key. */
  key: string;
  sha256: string;
  bytes: number;
}

/** What `put` accepts: bytes in memory, or a stream that is written as it arrives (never held whole). */
export type PutSource = Buffer | Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /**
   * Refuse the object once more than this many bytes arrived (AppError PAYLOAD_TOO_LARGE); the
   * bytes read so far are discarded and nothing is stored.
   */
  maxBytes?: number;
  /** The content type the object is served with, where the store keeps one (S3). */
  contentType?: string;
}

/** An inclusive byte range, as HTTP `Range: bytes=start-end` names it. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface OpenedObject {
  stream: Readable;
  /** The object's whole size (not the size of the range). */
  bytes: number;
}

/** What a presigned download URL answers with. */
export interface PresignOptions {
  /** How long the URL works. */
  expiresInSec: number;
  /** Offered as the download's file name (`Content-Disposition: attachment`). */
  filename?: string;
  /** The `Content-Type` the URL answers with. */
  contentType?: string;
  /** When the signature counts from (default now): the URL works until this plus `expiresInSec`. */
  signedAt?: Date;
}

/** Where job outputs and uploads live. Local directory by default; S3-compatible stores fit too. */
export interface ArtifactStore {
  /**
   * Stores the bytes, streaming them through a hash to their content-addressed key; storing bytes
   * already there refreshes the object's last-written time.
   */
  put(data: PutSource, options?: PutOptions): Promise<StoredObject>;
  /**
   * A stream of the object's bytes, or of one range of them; rejects with AppError NOT_FOUND when
   * it is missing.
   */
  open(key: string, range?: ByteRange): Promise<OpenedObject>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /**
   * When the object was last written, `put` of equal bytes included (null when missing). Retention
   * leaves objects written lately alone. Optional: a store without it is treated as written long ago.
   */
  lastWrittenAt?(key: string): Promise<Date | null>;
  /**
   * A short-lived URL that downloads the object straight from the store, for stores that can sign
   * one (S3); clients then need no Gantry credentials and the API carries no bytes.
   */
  presign?(key: string, options: PresignOptions): Promise<string>;
  /** Rejects when the store cannot be reached or used now (readiness); stores with nothing to check omit it. */
  check?(): Promise<void>;
  /** Releases the store's connections (S3 client sockets); the store is not used afterwards. */
  close?(): Promise<void>;
  /** A short description for logs and health output (never credentials). */
  describe(): string;
}
