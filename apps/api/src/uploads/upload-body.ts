import type { Request } from 'express';
import { type Readable } from 'node:stream';
import busboy from 'busboy';
import { AppError } from '@gantry/domain';

/**
 * The image bytes of an upload request, as a stream (never buffered whole): the raw body, or the
 * first file part of a `multipart/form-data` body (streamed by busboy; other fields are ignored, a
 * second file is refused). The declared Content-Type of the body or the part is not trusted: the
 * caller reads the type from the bytes.
 */
export function uploadBody(req: Request, maxBytes: number): Promise<Readable> {
  const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') {
    throw new AppError('UNSUPPORTED_CONTENT_ENCODING', 'Send the image as it is (no Content-Encoding): images are compressed already');
  }
  const length = Number(req.get('content-length') ?? NaN);
  if (Number.isFinite(length) && length > maxBytes + (req.is('multipart/form-data') ? 64 * 1024 : 0)) {
    throw new AppError('UPLOAD_TOO_LARGE', `The image is larger than ${maxBytes} bytes (GANTRY_UPLOAD_MAX_BYTES)`, { details: { maxBytes } });
  }
  // A JSON body was parsed by the JSON middleware already: it is not an image either way.
  if ((req as { _body?: boolean })._body || req.readableEnded) {
    throw new AppError('IMAGE_TYPE_UNSUPPORTED', 'The bytes are not a PNG, JPEG or WebP image');
  }
  if (!req.is('multipart/form-data')) return Promise.resolve(req);
  return firstFilePart(req);
}

function firstFilePart(req: Request): Promise<Readable> {
  return new Promise<Readable>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fields: 20, fieldSize: 4096, parts: 22 } });
    } catch (err) {
      reject(new AppError('BAD_REQUEST', `Malformed multipart/form-data: ${(err as Error).message}`));
      return;
    }
    let file: Readable | null = null;
    parser.on('file', (_name, stream) => {
      if (file) {
        stream.resume();
        return;
      }
      file = stream;
      resolve(stream);
    });
    parser.on('filesLimit', () => file?.destroy(new AppError('BAD_REQUEST', 'Send one file per upload')));
    parser.on('error', (err: Error) => {
      const problem = new AppError('BAD_REQUEST', `Malformed multipart/form-data: ${err.message}`);
      if (file) file.destroy(problem);
      else reject(problem);
    });
    parser.on('close', () => {
      if (!file) reject(new AppError('BAD_REQUEST', 'The multipart/form-data body has no file part'));
    });
    req.on('error', (err) => parser.destroy(err));
    req.pipe(parser);
  });
}
