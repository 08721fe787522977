import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { backendError } from './errors.js';

/** An input file to put on a backend: a Gantry-chosen name and where its bytes come from. */
export interface InputFile {
  /** `<sha256>.<ext>`: equal bytes have equal names, so a retry or a second job reuses the file. */
  filename: string;
  subfolder: string;
  contentType: string;
  bytes: number;
  /** Opens the bytes (from the artifact store); read once. */
  open(): Promise<Readable>;
}

/** A backend that takes input files before a run (ComfyUI's `POST /upload/image`). */
export interface InputUploader {
  uploadInput(file: InputFile): Promise<void>;
}

export function isInputUploader(driver: object): driver is InputUploader {
  return typeof (driver as Partial<InputUploader>).uploadInput === 'function';
}

/**
 * The multipart body of ComfyUI's `POST /upload/image` (`image`, `type=input`, `subfolder`), its
 * file part streamed from `source`; no `overwrite`, so ComfyUI keeps an existing file with equal
 * bytes (and would rename one with other bytes, which the caller treats as an error).
 */
export function uploadImageBody(file: InputFile, source: Readable): { body: AsyncIterable<Buffer>; contentType: string; length: number } {
  const boundary = `gantry-${randomBytes(12).toString('hex')}`;
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const head = Buffer.from(
    `${field('type', 'input')}${field('subfolder', file.subfolder)}--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${file.filename}"\r\nContent-Type: ${file.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body() {
    yield head;
    let sent = 0;
    for await (const chunk of source as AsyncIterable<Buffer>) {
      sent += chunk.length;
      yield chunk;
    }
    if (sent !== file.bytes) throw backendError(`input ${file.filename}: ${sent} bytes read from the store, ${file.bytes} expected`, undefined, false);
    yield tail;
  }
  return { body: body(), contentType: `multipart/form-data; boundary=${boundary}`, length: head.length + file.bytes + tail.length };
}
