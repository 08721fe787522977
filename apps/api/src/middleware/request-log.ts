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

/** The request's loggers, built when first used, and what its line needs (one object per request, no closures). */
class LogState {
  /** Bound to `req` only: the end-of-request line's. */
  own?: Logger;
  /** `req.log`: bound to `req` and the bindings added since (the caller's tenant and key). */
  log?: Logger;
  pending: Record<string, unknown>[] = [];
  readonly started = Date.now();

  constructor(
    readonly base: Logger,
    private readonly req: Request,
  ) {}

  build(): Logger {
    return (this.own ??= this.base.child({ req: this.req }));
  }

  /**
   * `req.log`: one child for `req` and every binding added so far (each child serializes and
   * redacts its bindings), or one on `own` when the end-of-request line built it already.
   */
  buildLog(): Logger {
    const bindings = this.pending.length === 1 ? this.pending[0]! : Object.assign({}, ...this.pending);
    this.pending = [];
    if (this.own) return this.own.child(bindings);
    return this.base.child({ req: this.req, ...bindings });
  }
}

const STATE = Symbol('gantry.requestLog');
type Logged = IncomingMessage & { [STATE]?: LogState };
type LoggedResponse = Response & { [STATE]?: LogState };

/** The line of a request, at its response's first `close`, `finish` or `error` (shared listener: `this` is the response). */
function onEnd(this: LoggedResponse, err?: Error): void {
  const res = this;
  const state = res[STATE];
  if (!state) return;
  res[STATE] = undefined;
  res.removeListener('close', onEnd);
  res.removeListener('finish', onEnd);
  res.removeListener('error', onEnd);
  const level = levelOf(res.statusCode, err);
  if (!state.base.isLevelEnabled(level)) return;
  const responseTime = Date.now() - state.started;
  if (err || res.statusCode >= 500) {
    state.build()[level]({ res, err: err ?? new Error(`failed with status code ${res.statusCode}`), responseTime }, 'request errored');
    return;
  }
  state.build()[level]({ res, responseTime }, 'request completed');
}

/** `req.log` of a request this middleware saw, else as set. */
function logOf(req: Logged): Logger | undefined {
  const state = req[STATE];
  if (!state) return undefined;
  state.log ??= state.pending.length === 0 ? state.build() : state.buildLog();
  return state.log;
}

/**
 * `req.log` when it writes at `level`, else undefined without building it: for a handler's line
 * on a hot path (`logAt(req, 'info')?.info(...)`), which then costs nothing below the level.
 */
export function logAt(req: IncomingMessage, level: 'debug' | 'info'): Logger | undefined {
  const state = (req as Logged)[STATE];
  if (state && !state.log && !state.base.isLevelEnabled(level)) return undefined;
  return req.log.isLevelEnabled(level) ? req.log : undefined;
}

/** Request prototypes (an app's `request`) given the `log` accessor, once each. */
const installed = new WeakSet<object>();

/** `req.log` as an accessor of the app's request prototype: defined once, not on every request. */
function installLogAccessor(proto: object): void {
  if (installed.has(proto)) return;
  installed.add(proto);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    enumerable: true,
    get(this: Logged) {
      return logOf(this);
    },
    set(this: Logged, value: Logger) {
      const state = this[STATE];
      if (!state) {
        Object.defineProperty(this, 'log', { configurable: true, enumerable: true, writable: true, value });
        return;
      }
      state.pending = [];
      state.log = value;
    },
  });
}

/**
 * Adds `bindings` to every later line of `req.log` (as `req.log = req.log.child(bindings)` would),
 * without building the logger when nothing logs through it.
 */
export function logBindings(req: IncomingMessage, bindings: Record<string, unknown>): void {
  const state = (req as Logged)[STATE];
  if (state && !state.log) state.pending.push(bindings);
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
    installLogAccessor(Object.getPrototypeOf(req) as object);
    req.id = requestId(req, res);
    const state = new LogState(base, req);
    (req as Logged)[STATE] = state;
    (res as LoggedResponse)[STATE] = state;
    res.on('close', onEnd);
    res.on('finish', onEnd);
    res.on('error', onEnd);
    next();
  };
}
