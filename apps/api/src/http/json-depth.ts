import type { IncomingMessage } from 'node:http';

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The deepest nesting of objects and arrays in JSON text, counted in one pass without recursion
 * (brackets inside strings do not count); whether it exceeds `max`, stopping as soon as it does.
 * Works on UTF-8 bytes or on a decoded string (every structural character is ASCII; UTF-8
 * continuation bytes are never ASCII).
 */
export function jsonDepthExceeds(text: Uint8Array | string, max: number): boolean {
  // One loop for both kinds, reading bytes directly: a call per character costs more than the
  // scan itself (a batch body is a megabyte).
  const bytes = typeof text === 'string' ? null : text;
  const chars = typeof text === 'string' ? text : '';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = bytes ? bytes[i]! : chars.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i += 1;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth -= 1;
    }
  }
  return false;
}

/** The error a body parser's `verify` throws; the error handler maps its type to JSON_TOO_DEEP. */
export class JsonTooDeepError extends Error {
  readonly type = 'entity.too.deep';
  readonly status = 400;
  constructor(readonly maxDepth: number) {
    super(`JSON nested deeper than ${maxDepth} levels`);
  }
}

/**
 * `express.json({ verify })`: refuses bodies nested deeper than `maxDepth` before they are parsed,
 * so nothing downstream (validation, JSON.stringify, Prisma) walks a pathological structure. It
 * scans the raw bytes, which are UTF-8: json-body.ts refuses every other charset first.
 */
export function jsonDepthGuard(maxDepth: number): (req: IncomingMessage, res: unknown, body: Buffer, encoding: string) => void {
  return (_req, _res, body) => {
    if (jsonDepthExceeds(body, maxDepth)) throw new JsonTooDeepError(maxDepth);
  };
}
