import zlib from 'node:zlib';
import { AppError } from '@gantry/domain';

/**
 * Errors a malformed request raises before (or instead of) a handler — the body parser, zlib, the
 * router's decoding of path parameters — as stable 4xx codes. None of them is the server's fault,
 * so none may become a 500 (or a log line with a stack).
 */

/** What body-parser, raw-body and http-errors put on their errors. */
interface HttpishError {
  type?: unknown;
  status?: unknown;
  expose?: unknown;
  code?: unknown;
  message?: unknown;
}

/** The content codings the body parser decodes (zstd where this Node has it), for `Accept-Encoding`. */
export const SUPPORTED_CONTENT_CODINGS = ['gzip', 'deflate', 'br', ...('createZstdDecompress' in zlib ? ['zstd'] : [])].join(', ');

/**
 * zlib's stream errors: `Z_DATA_ERROR` (not gzip/deflate data), `Z_BUF_ERROR` (truncated),
 * brotli's `ERR__ERROR_FORMAT_*`, zstd's `ZSTD_error_*`. They reach the error handler with no
 * body-parser `type`, only the status 400 body-parser gave them.
 */
const DECOMPRESSION_ERROR_CODE = /^(Z_|ERR__ERROR_|ERR_BROTLI|ZSTD_)/;

/** body-parser / raw-body error types → the problem to answer. */
function fromBodyParserType(type: string, err: HttpishError): AppError | null {
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON');
    case 'entity.not.utf8':
      return new AppError('MALFORMED_JSON', 'The request body is not valid UTF-8 (JSON text is UTF-8)');
    case 'entity.too.deep':
      return new AppError('JSON_TOO_DEEP', typeof err.message === 'string' ? err.message : 'The JSON body is nested too deeply');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than the limit');
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send JSON bodies in UTF-8 (RFC 8259); no other charset is accepted');
    case 'encoding.unsupported':
      return new AppError('UNSUPPORTED_CONTENT_ENCODING', `Unsupported Content-Encoding; send the body as it is (identity) or as ${SUPPORTED_CONTENT_CODINGS}`);
    case 'request.aborted':
      return new AppError('BAD_REQUEST', 'The request was aborted');
    case 'request.size.invalid':
      return new AppError('BAD_REQUEST', 'The body is not as long as its Content-Length says');
    default:
      return null;
  }
}

/**
 * A generic client error of an HTTP library (http-errors: a 4xx `status` and `expose: true`) that
 * nothing above recognised: still the client's, so it keeps a 4xx with the closest stable code.
 */
function fromClientStatus(status: number): AppError {
  switch (status) {
    case 404:
      return new AppError('NOT_FOUND', 'Not found');
    case 412:
      return new AppError('PRECONDITION_FAILED', 'A precondition of the request (If-Match, If-Unmodified-Since) does not hold');
    case 413:
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than the limit');
    case 415:
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type');
    default:
      return new AppError('BAD_REQUEST', 'The request is malformed');
  }
}

/**
 * The problem a request error raised outside the handlers stands for, or null when `err` is not
 * one (then it is the server's, or a database error: see the error handler).
 */
export function clientErrorProblem(err: unknown): AppError | null {
  if (err instanceof AppError || typeof err !== 'object' || err === null) return null;
  const e = err as HttpishError;
  const byType = typeof e.type === 'string' ? fromBodyParserType(e.type, e) : null;
  if (byType) return byType;
  if (typeof e.code === 'string' && DECOMPRESSION_ERROR_CODE.test(e.code)) {
    return new AppError('MALFORMED_CONTENT_ENCODING', 'The body does not decode as its Content-Encoding says');
  }
  // The router decodes path parameters with decodeURIComponent (status 400 on its URIError);
  // the path guard refuses such paths first, this is the second line.
  if (err instanceof URIError) return new AppError('MALFORMED_URI', 'The URL path has a malformed percent-encoding');
  const status = typeof e.status === 'number' ? e.status : undefined;
  if (status !== undefined && status >= 400 && status < 500 && e.expose === true) return fromClientStatus(status);
  return null;
}
