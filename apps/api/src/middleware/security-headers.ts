import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's default response headers, taken once at start (its defaults depend on nothing in the
 * request) and set on every response, instead of running its dozen middlewares per request.
 * Exactly the headers `helmet()` sets and removes (security-headers.test.ts compares them).
 */
export function securityHeaders(): RequestHandler {
  const set: [string, string][] = [];
  const removed: string[] = [];
  let done = false;
  const recorder = {
    setHeader: (name: string, value: string) => void set.push([name, value]),
    removeHeader: (name: string) => void removed.push(name),
  };
  helmet()({} as never, recorder as never, (err?: unknown) => {
    if (err) throw err;
    done = true;
  });
  if (!done) throw new Error('helmet did not set its headers synchronously: they cannot be taken once');
  return (_req, res, next) => {
    for (const [name, value] of set) res.setHeader(name, value);
    for (const name of removed) res.removeHeader(name);
    next();
  };
}
