import type { RequestHandler } from 'express';
import { AppError } from '@gantry/domain';

/** Response headers a browser script may read. */
const EXPOSED = ['RateLimit', 'RateLimit-Policy', 'Retry-After', 'Location', 'X-Request-Id', 'Idempotent-Replayed'].join(', ');
/** Request headers a browser may send cross-origin. */
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'].join(', ');
const ALLOWED_METHODS = 'GET, POST, PATCH, DELETE';

/**
 * CORS for an allowlist of exact origins (GANTRY_CORS_ORIGINS). The API authenticates with
 * bearer keys, never cookies, so credentials are never allowed (and `*` is only ever sent
 * without them). An allowed origin is echoed (with `Vary: Origin`); preflights of allowed origins
 * get 204, of others 403 problem+json. No allowlist: no CORS headers at all (same-origin only).
 */
export function cors(origins: readonly string[]): RequestHandler {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins);
  return (req, res, next) => {
    if (origins.length === 0) return next();
    res.vary('Origin');
    const origin = req.headers.origin;
    const ok = origin !== undefined && (anyOrigin || allowed.has(origin));
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', anyOrigin ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSED);
    }
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    if (!preflight) return next();
    if (!ok) throw new AppError('FORBIDDEN', 'This origin is not allowed to call the API (GANTRY_CORS_ORIGINS)');
    res.setHeader('Access-Control-Allow-Methods', ALLOWED_METHODS);
    res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    res.setHeader('Access-Control-Max-Age', '600');
    res.status(204).end();
  };
}
