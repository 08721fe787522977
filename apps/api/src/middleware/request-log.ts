import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from '@gantry/logger';
import { requestId } from './request-id.js';

declare module 'http' {
  interface IncomingMessage {
    /** The request id (a well-formed incoming X-Request-Id, else a new one; echoed in the response). */
    id: string;
    /** The request's logger: bound to `req` (and to the caller once known, logBindings). */
    log: Logger;
  }
}

type Level = 'debug' | 'info' | 'error';

/** The line's level by outcome: 2xx/3xx debug, 4xx info, 5xx or a failed response error (docs/metrics.md, "Logs"). */
function levelOf(status: number, err: unknown): Level {
  return err || status >= 500 ? 'error' : status >= 400 ? 'info' : 'debug';
}

/** `req` in a line: `ip` is Express's req.ip, the client's address as `trust proxy` allows it to be known. */
function serializeReq(req: Request): { id: string; method: string; url: string; ip: string | undefined } {
  return { id: req.id, method: req.method, url: req.originalUrl || req.url, ip: req.ip };
}

function serializeRes(res: Response): { statusCode: number | null } {
  return { statusCode: res.headersSent ? res.statusCode : null };
}

/** Bindings added to the request's logger before it exists (the caller's tenant and key). */
const pending = new WeakMap<IncomingMessage, Record<string, unknown>[]>();

/**
 * Adds `bindings` to every later line of `req.log` (as `req.log = req.log.child(bindings)` would),
 * without building the logger when nothing logs through it.
 */
export function logBindings(req: IncomingMessage, bindings: Record<string, unknown>): void {
  const list = pending.get(req);
  if (list) list.push(bindings);
  else req.log = req.log.child(bindings);
}

/**
 * One line per request when it ends (what pino-http wrote: `req` bound, then `res`, `responseTime`
 * and "request completed", or `err` and "request errored" for a 5xx or a failed response), and
 * `req.id`/`req.log` for the handlers. Built only when used: a request whose line is below the
 * level and that logs nothing else allocates no logger.
 */
export function requestLog(logger: Logger): RequestHandler {
  const base = logger.child({}, { serializers: { req: serializeReq, res: serializeRes } });
  return (req, res, next) => {
    req.id = requestId(req, res);
    const started = Date.now();
    let own: Logger | undefined; // bound to `req` only: the end-of-request line's
    const reqLogger = (): Logger => (own ??= base.child({ req }));
    let log: Logger | undefined;
    pending.set(req, []);
    Object.defineProperty(req, 'log', {
      configurable: true,
      enumerable: true,
      get: () => {
        if (log) return log;
        let built = reqLogger();
        for (const bindings of pending.get(req) ?? []) built = built.child(bindings);
        pending.delete(req);
        return (log = built);
      },
      set: (value: Logger) => {
        pending.delete(req);
        log = value;
      },
    });
    const onEnd = (err?: Error): void => {
      res.removeListener('close', onEnd);
      res.removeListener('finish', onEnd);
      res.removeListener('error', onEnd);
      const level = levelOf(res.statusCode, err);
      if (!base.isLevelEnabled(level)) return;
      const responseTime = Date.now() - started;
      if (err || res.statusCode >= 500) {
        reqLogger()[level]({ res, err: err ?? new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
        return;
      }
      reqLogger()[level]({ res, responseTime }, 'request completed');
    };
    res.on('close', onEnd);
    res.on('finish', onEnd);
    res.on('error', onEnd);
    next();
  };
}
