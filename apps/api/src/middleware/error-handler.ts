import type { ErrorRequestHandler, RequestHandler } from 'express';
import { invalidDataReason, isTransientDbError, transientReason } from '@gantry/db';
import { AppError, toAppError } from '@gantry/domain';
import { isRedisUnavailableError } from '@gantry/queue';
import { clientErrorProblem, SUPPORTED_CONTENT_CODINGS } from '../http/client-errors.js';
import { problemFromError, sendProblem } from '../http/problem.js';

/**
 * Seconds a client should wait after DATABASE_UNAVAILABLE: about what a PostgreSQL restart or a
 * managed failover takes to be noticed by a fresh pool connection; clients back off beyond it.
 */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Seconds a client should wait after QUEUE_UNAVAILABLE: about what a Redis restart or Sentinel failover takes. */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

/**
 * Redis (the job queue, live backend health, cancel notices) that cannot serve right now:
 * 503 QUEUE_UNAVAILABLE, its own code, so neither clients nor operators look at PostgreSQL.
 * Checked before the database: a socket code such as ECONNREFUSED alone would say "database".
 */
function fromQueue(err: unknown): AppError | null {
  const unexpected = !(err instanceof AppError) || err.code === 'INTERNAL';
  if (!unexpected || !isRedisUnavailableError(err)) return null;
  // Fixed text: ioredis' messages may name the server's address.
  return new AppError('QUEUE_UNAVAILABLE', 'The job queue is unavailable right now; retry shortly', { cause: err });
}

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
 * A value PostgreSQL refused as data its column cannot hold (a data exception, SQLSTATE class 22):
 * the request's fault, 422 UNSTORABLE_VALUE, never a 500. The edge validation (storableText,
 * queryInt, ...) should have refused it with VALIDATION_FAILED naming the field; this is the last
 * line, and its warning (with the SQLSTATE) says that a check is missing.
 */
function fromInvalidData(err: unknown): AppError | null {
  const unexpected = !(err instanceof AppError) || err.code === 'INTERNAL';
  if (!unexpected || invalidDataReason(err) === undefined) return null;
  // Fixed text: the driver's message may quote the value.
  return new AppError('UNSTORABLE_VALUE', 'A value of the request cannot be stored (out of range, or text with U+0000 or an unpaired surrogate)', { cause: err });
}

/** One line per refused request, never a stack for the client's errors. */
function logOutcome(req: Parameters<ErrorRequestHandler>[1], err: unknown, appError: AppError): void {
  if (appError.code === 'DATABASE_UNAVAILABLE') {
    // Expected during an outage, once per request: a warning, not an error with a stack each time.
    req.log.warn({ reason: transientReason(err), err: { message: (err as Error).message } }, 'database unavailable');
  } else if (appError.code === 'QUEUE_UNAVAILABLE') {
    req.log.warn({ err: { message: (err as Error).message } }, 'redis unavailable');
  } else if (appError.code === 'UNSTORABLE_VALUE' && appError.cause !== undefined) {
    req.log.warn({ code: appError.code, reason: invalidDataReason(err) }, 'the database refused a value that validation let through');
  } else if (appError.status >= 500) {
    req.log.error({ err }, 'request failed');
  } else {
    req.log.info({ code: appError.code }, appError.message);
  }
}

/**
 * The only place errors become HTTP responses: errors of malformed requests raised outside the
 * handlers (body decoding, charset, path decoding) get their stable 4xx codes; AppErrors keep
 * theirs; transient database errors are 503 with Retry-After; values the database refused are 422;
 * anything else is a 500 whose details go to the log, never to the client.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  // Client errors first: an aborted upload carries a socket code (ECONNABORTED) of its own.
  const appError = clientErrorProblem(err) ?? fromQueue(err) ?? fromDatabase(err) ?? fromInvalidData(err) ?? (err instanceof AppError ? err : toAppError(err));
  logOutcome(req, err, appError);
  if (appError.code === 'DATABASE_UNAVAILABLE') res.setHeader('Retry-After', String(DATABASE_RETRY_AFTER_SECONDS));
  if (appError.code === 'QUEUE_UNAVAILABLE') res.setHeader('Retry-After', String(QUEUE_RETRY_AFTER_SECONDS));
  // RFC 9110 §15.5.16: a 415 for a content coding says which ones are accepted.
  if (appError.code === 'UNSUPPORTED_CONTENT_ENCODING') res.setHeader('Accept-Encoding', SUPPORTED_CONTENT_CODINGS);
  const message = appError.code === 'INTERNAL' ? 'An unexpected error occurred' : appError.message;
  const safe = appError.code === 'INTERNAL' ? new AppError('INTERNAL', message) : appError;
  sendProblem(res, problemFromError(safe, req.originalUrl.split('?')[0] ?? '', String(req.id ?? '')));
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
