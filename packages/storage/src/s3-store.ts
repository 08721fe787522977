import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { AppError } from '@gantry/domain';
import type { ArtifactStore, ByteRange, OpenedObject, PresignOptions, PutOptions, PutSource, StoredObject } from './artifact-store.js';
import { contentKey, isContentKey } from './content-key.js';
import { contentDisposition } from './content-disposition.js';
import { isS3NotFound, storageUnavailable } from './s3-errors.js';
import { S3UrlSigner } from './s3-url-signer.js';
import { measuringStream, toReadable } from './spool.js';

export interface S3StoreOptions {
  client: S3Client;
  bucket: string;
  /** Prepended to every key (`gantry/` → `gantry/sha256/ab/ab12…`); empty or ending in `/`. */
  prefix?: string;
  /** Multipart part size: the most one upload holds in memory per part in flight (default 8 MiB). */
  partSize?: number;
  /**
   * Signs presigned URLs, when clients reach the bucket at another endpoint than `client` does
   * (GANTRY_S3_PUBLIC_ENDPOINT): a SigV4 signature covers the host, so the URL must be signed for
   * the public one. It only signs, offline; it never sends a request.
   */
  presignClient?: S3Client;
}

/** Metadata that records the last `put` of the bytes (refreshed by every put; read by retention). */
const WRITTEN_AT = 'gantry-written-at';
const PART_SIZE = 8 * 1024 * 1024;
/** Parts uploaded at once: memory held by one put is about partSize × this. */
const PARTS_IN_FLIGHT = 2;

/**
 * Content-addressed objects in an S3-compatible bucket (AWS S3, MinIO, R2, GCS interop), keyed
 * like the local store (`<prefix>sha256/<first byte>/<hash>`). A put streams its bytes through a
 * hash into a temporary object `<prefix>tmp/<uuid>` (multipart past one part, so no object is
 * held whole), then copies it under its content key and deletes the temporary one: an object
 * appears under its final key only complete. The copy also rewrites the `gantry-written-at`
 * metadata, so a put of bytes already stored refreshes their last-written time.
 */
export class S3ArtifactStore implements ArtifactStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly presignClient: S3Client;
  private readonly signer: S3UrlSigner;

  constructor(options: S3StoreOptions) {
    this.client = options.client;
    this.presignClient = options.presignClient ?? options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = options.partSize ?? PART_SIZE;
    this.signer = new S3UrlSigner(this.presignClient, this.bucket);
  }

  async put(data: PutSource, options: PutOptions = {}): Promise<StoredObject> {
    const source = toReadable(data);
    const measure = measuringStream(options.maxBytes);
    let streamError: unknown = null;
    source.on('error', (err) => measure.stream.destroy(err));
    measure.stream.on('error', (err) => {
      streamError ??= err;
    });
    source.pipe(measure.stream);
    const tmpKey = `${this.prefix}tmp/${randomUUID()}`;
    const contentType = options.contentType ?? 'application/octet-stream';
    try {
      await new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: tmpKey, Body: measure.stream, ContentType: contentType },
        partSize: this.partSize,
        queueSize: PARTS_IN_FLIGHT,
        leavePartsOnError: false,
      }).done();
    } catch (err) {
      source.unpipe(measure.stream);
      source.destroy();
      measure.stream.destroy();
      // A source that failed or went past maxBytes says so itself; anything else is the store's.
      const cause = streamError ?? err;
      throw cause instanceof AppError ? cause : streamError ? cause : storageUnavailable('upload', err);
    }
    try {
      const { sha256, bytes } = measure.result();
      const key = contentKey(sha256);
      await this.guard('copy', () => this.client.send(new CopyObjectCommand({
        Bucket: this.bucket,
        Key: this.prefix + key,
        CopySource: `${this.bucket}/${encodeURIComponent(tmpKey).replace(/%2F/g, '/')}`,
        MetadataDirective: 'REPLACE',
        ContentType: contentType,
        Metadata: { [WRITTEN_AT]: new Date().toISOString() },
      })));
      return { key, sha256, bytes };
    } finally {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmpKey })).catch(() => undefined);
    }
  }

  async open(key: string, range?: ByteRange): Promise<OpenedObject> {
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      Range: range ? `bytes=${range.start}-${range.end}` : undefined,
    });
    let reply;
    try {
      reply = await this.client.send(command);
    } catch (err) {
      if (isS3NotFound(err)) throw new AppError('NOT_FOUND', 'The artifact is no longer stored');
      throw storageUnavailable('read', err);
    }
    const total = /\/(\d+)$/.exec(reply.ContentRange ?? '')?.[1];
    return { stream: reply.Body as Readable, bytes: total !== undefined ? Number(total) : (reply.ContentLength ?? 0) };
  }

  async exists(key: string): Promise<boolean> {
    return (await this.head(key)) !== null;
  }

  async lastWrittenAt(key: string): Promise<Date | null> {
    const head = await this.head(key);
    if (!head) return null;
    const written = head.Metadata?.[WRITTEN_AT];
    const stamp = written ? new Date(written) : null;
    return stamp && !Number.isNaN(stamp.getTime()) ? stamp : (head.LastModified ?? new Date(0));
  }

  async delete(key: string): Promise<void> {
    const command = new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    await this.guard('delete', () => this.client.send(command));
  }

  async presign(key: string, options: PresignOptions): Promise<string> {
    const objectKey = this.objectKey(key);
    try {
      return await this.signer.sign(objectKey, {
        expiresInSec: options.expiresInSec,
        contentDisposition: options.filename ? contentDisposition(options.filename) : undefined,
        contentType: options.contentType,
        signedAt: options.signedAt,
      });
    } catch (err) {
      // Signing is local; what fails is resolving credentials (`no credentials`).
      throw storageUnavailable('signing a URL', err);
    }
  }

  /** HeadBucket: the bucket exists and these credentials may use it. */
  async check(): Promise<void> {
    await this.guard('bucket check', () => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })));
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }

  describe(): string {
    return `s3:${this.bucket}/${this.prefix}`;
  }

  private async head(key: string) {
    const command = new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    try {
      return await this.client.send(command);
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw storageUnavailable('head', err);
    }
  }

  private async guard(what: string, call: () => Promise<unknown>): Promise<void> {
    try {
      await call();
    } catch (err) {
      throw storageUnavailable(what, err);
    }
  }

  /** Only content-addressed keys are accepted, as in the local store. */
  private objectKey(key: string): string {
    if (!isContentKey(key)) throw new AppError('BAD_REQUEST', 'Invalid artifact key');
    return this.prefix + key;
  }
}
