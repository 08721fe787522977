import type { Request, Response } from 'express';
import { AppError } from '@gantry/domain';
import { contentDisposition, type ArtifactStore, type ByteRange } from '@gantry/storage';

/** A stored object as its database row describes it (artifacts; uploads fit too). */
export interface StoredObjectRow {
  storageKey: string;
  sha256: string;
  bytes: number;
  contentType: string;
  filename: string;
}

export interface SendOptions {
  /** Answer `302` to a presigned URL of the store instead of carrying the bytes (S3 only). */
  presign?: { ttlSec: number } | null;
}

/**
 * The one range a `Range` header asks for (RFC 9110 §14): null to send the whole object (no
 * header, a malformed one, several ranges, or an `If-Range` that no longer matches); throws 416
 * RANGE_NOT_SATISFIABLE when none of the object lies in it.
 */
function requestedRange(req: Request, size: number, etag: string): ByteRange | null {
  if (req.get('range') === undefined) return null;
  const ifRange = req.get('if-range');
  if (ifRange !== undefined && ifRange !== etag) return null;
  const parsed = req.range(size, { combine: true });
  if (parsed === -1) throw new AppError('RANGE_NOT_SATISFIABLE', `The range is outside the object's ${size} bytes`, { details: { size } });
  if (parsed === -2 || parsed === undefined || parsed.type !== 'bytes' || parsed.length !== 1) return null;
  const [range] = parsed;
  return range ? { start: range.start, end: range.end } : null;
}

/**
 * Whether `If-None-Match` names this ETag (weak comparison, RFC 9110 §13.1.2), whatever the
 * request's Cache-Control says: the origin answers for its own bytes (fetch adds `no-cache` to
 * conditional requests, which Express's req.fresh would take as "send everything").
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Sends a stored object: `ETag` from its sha256 (`304` on a matching `If-None-Match`), one byte
 * range with `206` (`416` when unsatisfiable), streamed from the store and never held whole; or,
 * with `presign`, a `302` to a short-lived URL of the store. Error answers (416, 404, 503) carry
 * no cache headers.
 */
export async function sendStoredObject(req: Request, res: Response, store: ArtifactStore, row: StoredObjectRow, options: SendOptions = {}): Promise<void> {
  const etag = `"${row.sha256}"`;
  if (options.presign && store.presign) {
    const url = await store.presign(row.storageKey, { expiresInSec: options.presign.ttlSec, filename: row.filename, contentType: row.contentType });
    // The URL expires: neither it nor the redirect may be cached past that.
    res.setHeader('Cache-Control', 'private, no-store');
    res.redirect(302, url);
    return;
  }
  // Content-addressed: the bytes under this ETag never change.
  const cacheHeaders = () => {
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
  };
  if (matchesIfNoneMatch(req.get('if-none-match'), etag)) {
    cacheHeaders();
    res.status(304).end();
    return;
  }
  let range: ByteRange | null;
  try {
    range = requestedRange(req, row.bytes, etag);
  } catch (err) {
    res.setHeader('Content-Range', `bytes */${row.bytes}`);
    throw err;
  }
  const { stream, bytes } = await store.open(row.storageKey, range ?? undefined);
  cacheHeaders();
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Content-Type', row.contentType);
  res.setHeader('Content-Disposition', contentDisposition(row.filename));
  if (range) {
    res.status(206);
    res.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${bytes}`);
    res.setHeader('Content-Length', String(range.end - range.start + 1));
  } else {
    res.setHeader('Content-Length', String(bytes));
  }
  // A store that fails mid-way cuts the response (the length tells the client it is short).
  stream.on('error', (err) => res.destroy(err));
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}
