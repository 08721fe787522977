import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isTransientDbError, transientReason } from '@gantry/db';
import { AppError, toAppError } from '@gantry/domain';
import { problemFromError, sendProblem } from '../http/problem.js';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Errors raised by express.json() before a handler runs, mapped to stable codes. */
function fromBodyParser(err: BodyParserError): AppError | null {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', 'The request body is not valid JSON');
    case 'entity.too.deep':
      return new AppError('JSON_TOO_DEEP', (err as { message?: string }).message ?? 'The JSON body is nested too deeply');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'The request body is larger than the limit');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported body encoding or charset');
    case 'request.aborted':
      return new AppError('BAD_REQUEST', 'The request was aborted');
    default:
      return null;
  }
}

/**
 * Seconds a client should wait after DATABASE_UNAVAILABLE: about what a PostgreSQL restart or a
 * managed failover takes to be noticed by a fresh pool connection; clients back off beyond it.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * A database that cannot be reached right now (or asked for a retry) is the client's cue to try
 * again, not a bug: 503 DATABASE_UNAVAILABLE. Recognised anywhere in the cause chain of an
 * unexpected error; an AppError with its own code (e.g. SERVICE_UNAVAILABLE) keeps it.
 */
function fromDatabase(err: unknown): AppError | null {
  const unexpected = !(err instanceof AppError) || err.code === 'INTERNAL';
  if (!unexpected || !isTransientDbError(err)) return null;
  // The message is fixed: the driver's would name the server's host and port.
  return new AppError('DATABASE_UNAVAILABLE', 'The database is unavailable right now; retry shortly', { cause: err });
}

/**
 * The only place errors become HTTP responses: AppErrors keep their code; transient database
 * errors are 503 with Retry-After; anything else is a 500 whose details go to the log, never to
 * the client.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  // Body parser errors first: an aborted upload carries a socket code (ECONNABORTED) of its own.
  const parsed = err instanceof AppError ? null : fromBodyParser(err as BodyParserError);
  const appError = parsed ?? fromDatabase(err) ?? (err instanceof AppError ? err : toAppError(err));
  const requestId = String(req.id ?? '');
  if (appError.code === 'DATABASE_UNAVAILABLE') {
    // Expected during an outage, once per request: a warning, not an error with a stack each time.
    req.log.warn({ reason: transientReason(err), err: { message: (err as Error).message } }, 'database unavailable');
  } else if (appError.status >= 500) {
    req.log.error({ err }, 'request failed');
  } else {
    req.log.info({ code: appError.code }, appError.message);
  }
  if (appError.code === 'DATABASE_UNAVAILABLE') res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  const message = appError.code === 'INTERNAL' ? 'An unexpected error occurred' : appError.message;
  const safe = appError.code === 'INTERNAL' ? new AppError('INTERNAL', message) : appError;
  sendProblem(res, problemFromError(safe, req.originalUrl.split('?')[0] ?? '', requestId));
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
