import type { RequestHandler } from 'express';
import { AppError } from '@gantry/domain';

/** Whether a URL path's %-escapes decode (to UTF-8: `%ff` and `%e0%80%af`, an overlong `/`, do not). */
export function isDecodablePath(path: string): boolean {
  if (!path.includes('%')) return true; // nothing to decode (most requests): no decode and no string built
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a request whose path has a malformed %-escape with 400 MALFORMED_URI, before anything
 * reads it: the router would throw a URIError decoding it as a path parameter, the static and
 * dashboard handlers each decode it their own way. One answer for every path, routed or not.
 * (A parameter is a run of the path between slashes, so when the whole path decodes, each does.)
 */
export const refuseMalformedPath: RequestHandler = (req, _res, next) => {
  if (isDecodablePath(req.path)) {
    next();
    return;
  }
  next(new AppError('MALFORMED_URI', 'The URL path has a malformed percent-encoding'));
};
