import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '@gantry/domain';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** True when `header` is `Bearer <token>` (constant-time comparison). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/** Guards /metrics with `GANTRY_METRICS_TOKEN` when one is configured; open otherwise. */
export function requireMetricsToken(token: string | null): RequestHandler {
  return (req, res, next) => {
    if (token === null || bearerMatches(req.headers.authorization, token)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    next(new AppError('UNAUTHENTICATED', 'The metrics endpoint needs the metrics bearer token'));
  };
}
