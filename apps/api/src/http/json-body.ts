import { isUtf8 } from 'node:buffer';
import express, { type RequestHandler } from 'express';
import { jsonDepthGuard } from './json-depth.js';

/** Media types parsed as JSON. Other bodies are left alone (a route that needs JSON answers 415). */
const JSON_MEDIA_TYPES = ['application/json', 'application/*+json'];

/**
 * The error `verify` throws for a charset other than UTF-8; body-parser keeps its `type`, which the
 * error handler maps to 415 UNSUPPORTED_MEDIA_TYPE.
 */
class UnsupportedCharsetError extends Error {
  readonly type = 'charset.unsupported';
  readonly status = 415;
  constructor() {
    super('Send JSON bodies in UTF-8 (RFC 8259); no other charset is accepted');
  }
}

/**
 * The error `verify` throws for bytes that are not UTF-8 (a stray continuation byte, an overlong
 * or surrogate sequence): mapped to 400 MALFORMED_JSON, since JSON text is UTF-8.
 */
class InvalidUtf8Error extends Error {
  readonly type = 'entity.not.utf8';
  readonly status = 400;
  constructor() {
    super('The request body is not valid UTF-8');
  }
}

/**
 * JSON bodies are UTF-8 (RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8). body-parser
 * alone would decode any `utf-*` charset iconv-lite knows (UTF-7, UTF-16, UTF-32, ...): more ways
 * to spell the same text past the checks downstream, for no client that needs them.
 */
function requireUtf8(encoding: string | null, body: Buffer): void {
  if (encoding !== null && encoding !== 'utf-8') throw new UnsupportedCharsetError();
  // The decoder would put U+FFFD in place of invalid bytes: what is stored would not be what was sent.
  if (!isUtf8(body)) throw new InvalidUtf8Error();
}

/**
 * The JSON body parser of the API: valid UTF-8 only, at most `limit` bytes once decompressed (gzip,
 * deflate, br), at most `maxDepth` levels of nesting, an object or array at the top. Its errors
 * carry body-parser's `type` (or zlib's `code`), mapped to stable codes by http/client-errors.ts.
 */
export function jsonBody(options: { limit: string; maxDepth: number }): RequestHandler {
  const depth = jsonDepthGuard(options.maxDepth);
  return express.json({
    limit: options.limit,
    strict: true,
    type: JSON_MEDIA_TYPES,
    verify: (req, res, body, encoding) => {
      requireUtf8(encoding, body);
      depth(req, res, body, encoding);
    },
  });
}
