import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

/** The part of s3rver's FilesystemStore the writes below use. */
interface StoreThis {
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  putMetadata(bucket: string, key: string, metadata: unknown, md5: string): Promise<void>;
}
interface PutObjectInput {
  bucket: string;
  key: string;
  metadata: unknown;
  content: Buffer | NodeJS.ReadableStream;
}

async function bytesOf(content: Buffer | NodeJS.ReadableStream): Promise<Buffer> {
  if (Buffer.isBuffer(content)) return content;
  const chunks: Buffer[] = [];
  for await (const chunk of content) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

let patched = false;

/**
 * s3rver 3.7 answers a PUT (object or multipart part) once its bytes went *into* the file's write
 * stream, before they reached the file: a copy or a read sent right after the answer may find the
 * file short or empty, which a loaded machine shows (an object read back empty in the storage
 * contract test). Real S3 acknowledges a write once it is durable, and that is what the tests
 * assume: these replacements write the whole body and answer after the write finished.
 */
export function makeS3rverWritesDurable(): void {
  if (patched) return;
  patched = true;
  FilesystemStore.prototype.putObject = async function putObject(this: StoreThis, object: PutObjectInput) {
    const content = await bytesOf(object.content);
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(path.dirname(objectPath), { recursive: true });
    await writeFile(objectPath, content);
    const md5 = createHash('md5').update(content).digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    return { size: content.length, md5 };
  };
  FilesystemStore.prototype.putPart = async function putPart(this: StoreThis, bucket: string, uploadId: string, partNumber: number, body: NodeJS.ReadableStream) {
    const content = await bytesOf(body);
    const partPath = path.join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, partNumber.toString());
    await mkdir(path.dirname(partPath), { recursive: true });
    await writeFile(partPath, content);
    const md5 = createHash('md5').update(content).digest('hex');
    await writeFile(`${partPath}.md5`, md5);
    return { size: content.length, md5 };
  };
}
