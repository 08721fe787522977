import type { ErrorRequestHandler, RequestHandler } from 'express';
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
 * The only place errors become HTTP responses: AppErrors keep their code; anything else is a 500
 * whose details go to the log, never to the client.
 */
export const errorHandler: ErrorRequestHandler = (err: unknown, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  const appError = err instanceof AppError ? err : (fromBodyParser(err as BodyParserError) ?? toAppError(err));
  const requestId = String(req.id ?? '');
  if (appError.status >= 500) {
    req.log.error({ err }, 'request failed');
  } else {
    req.log.info({ code: appError.code }, appError.message);
  }
  const message = appError.code === 'INTERNAL' ? 'An unexpected error occurred' : appError.message;
  const safe = appError.code === 'INTERNAL' ? new AppError('INTERNAL', message) : appError;
  sendProblem(res, problemFromError(safe, req.originalUrl.split('?')[0] ?? '', requestId));
};

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `No route for ${req.method} ${req.path}`));
};
