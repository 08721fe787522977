import { ERROR_STATUS, type ErrorCode } from '@gantry/contract';

export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Whether a job that failed with this error may be retried on another backend. */
  retryable?: boolean;
}

/**
 * Typed application errors with stable codes. Every error that crosses a process or HTTP boundary
 * is an AppError; its `code` is part of the public contract (clients switch on it).
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Normalises anything thrown into an AppError; unknown errors become INTERNAL with the cause kept. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError('INTERNAL', message, { cause: err });
}

/** The error shape stored on a job and returned to clients. */
export interface JobErrorInfo {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export function toJobError(err: AppError): JobErrorInfo {
  return err.details === undefined
    ? { code: err.code, message: err.message }
    : { code: err.code, message: err.message, details: err.details };
}

export function assertNever(value: never): never {
  throw new AppError('INTERNAL', `Unexpected value: ${JSON.stringify(value)}`);
}
