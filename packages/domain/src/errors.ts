import { ERROR_STATUS, type ErrorCode } from '@gantry/contract';

/**
 * Typed application errors with stable codes. Every error that crosses a process or HTTP boundary
 * is an AppError; its `code` is part of the public contract (clients switch on it).
 */
export const ERROR_TITLES: Record<ErrorCode, string> = {
  MALFORMED_JSON: 'Malformed JSON',
  BAD_REQUEST: 'Bad request',
  JSON_TOO_DEEP: 'JSON nested too deeply',
  MALFORMED_URI: 'Malformed percent-encoding in the URL',
  MALFORMED_CONTENT_ENCODING: 'The body does not decode with its Content-Encoding',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Forbidden',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict',
  INVALID_STATE: 'Invalid state transition',
  PRECONDITION_FAILED: 'Precondition failed',
  RANGE_NOT_SATISFIABLE: 'Range not satisfiable',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  WORKFLOW_TOO_LARGE: 'Workflow too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  UNSUPPORTED_CONTENT_ENCODING: 'Unsupported content encoding',
  VALIDATION_FAILED: 'Validation failed',
  UNSTORABLE_VALUE: 'A value cannot be stored',
  BATCH_TOO_LARGE: 'Too many jobs in one batch',
  BATCH_INVALID: 'Some jobs of the batch are invalid; none was accepted',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency key reused with a different request',
  RATE_LIMITED: 'Too many requests',
  TENANT_QUEUE_FULL: 'Too many queued jobs for this tenant',
  NO_ELIGIBLE_BACKEND: 'No backend can run this job',
  MODEL_UNAVAILABLE: 'No backend holds a model the job names',
  WEBHOOK_URL_FORBIDDEN: 'Webhook URL not allowed',
  UPLOAD_TOO_LARGE: 'Upload larger than the byte ceiling',
  INPUT_TOO_LARGE: 'Job input larger than the byte ceiling',
  IMAGE_TYPE_UNSUPPORTED: 'Not a PNG, JPEG or WebP image',
  IMAGE_CORRUPT: 'Truncated or corrupt image',
  IMAGE_TOO_MANY_PIXELS: 'Image larger than the pixel ceiling',
  UPLOAD_NOT_FOUND: 'No such upload',
  UPLOAD_IN_USE: 'Upload used by a queued or running job',
  INPUT_URL_FORBIDDEN: 'Input URL not allowed',
  INPUT_FETCH_FAILED: 'Input URL could not be fetched',
  INPUT_UNBOUND: 'Job input bound to no node',
  INTERNAL: 'Internal server error',
  SERVICE_UNAVAILABLE: 'Service unavailable',
  DATABASE_UNAVAILABLE: 'Database unavailable',
  QUEUE_UNAVAILABLE: 'Job queue unavailable',
  STORAGE_UNAVAILABLE: 'Object storage unavailable',
  WORKFLOW_INVALID: 'Workflow rejected by the backend',
  BACKEND_UNAVAILABLE: 'GPU backend unavailable',
  BACKEND_ERROR: 'GPU backend error',
  EXECUTION_ERROR: 'Workflow execution failed',
  OUT_OF_MEMORY: 'GPU out of memory',
  JOB_TIMEOUT: 'Job timed out',
  NO_OUTPUTS: 'Workflow produced no outputs',
  CANCELED: 'Job canceled',
  BACKEND_STALLED: 'GPU backend stopped making progress',
  WORKER_LOST: 'The worker running the job was lost',
  POISON_JOB: 'The job made several backends fail',
};

export interface AppErrorOptions {
  details?: unknown;
  cause?: unknown;
  /** Whether a job that failed with this error may be retried on another backend. */
  retryable?: boolean;
}

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
