import { AppError } from '@gantry/domain';

interface S3ErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

/** The HTTP status an S3 call failed with, when the service answered at all. */
function s3Status(err: unknown): number | undefined {
  return (err as S3ErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** Whether an S3 call failed because the object (or bucket) is not there. */
export function isS3NotFound(err: unknown): boolean {
  const e = err as S3ErrorShape | undefined;
  return s3Status(err) === 404 || e?.name === 'NotFound' || e?.name === 'NoSuchKey';
}

/**
 * Why the store cannot be used, in a few words and never an address, a bucket or a key: `access
 * denied`, `bucket not found`, `connection refused`, `timed out`... (readiness and logs).
 */
function s3ErrorReason(err: unknown): string {
  const e = err as S3ErrorShape | undefined;
  const status = s3Status(err);
  // The SDK wraps socket errors ("AWS SDK error wrapper for Error: connect ECONNREFUSED …"),
  // dropping their code: read it back from the message.
  const message = err instanceof Error ? err.message : '';
  const code = e?.code ?? (e as { cause?: { code?: string } } | undefined)?.cause?.code ?? /\b(E[A-Z_]{4,})\b/.exec(message)?.[1];
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (code === 'ECONNRESET') return 'connection reset';
  if (e?.name === 'TimeoutError' || code === 'ETIMEDOUT') return 'timed out';
  if (status === 403 || e?.name === 'AccessDenied' || e?.name === 'InvalidAccessKeyId' || e?.name === 'SignatureDoesNotMatch') return 'access denied';
  if (status === 404 || e?.name === 'NoSuchBucket') return 'bucket not found';
  if (e?.name === 'CredentialsProviderError') return 'no credentials';
  if (status !== undefined) return `answered ${status}`;
  return 'error';
}

/**
 * An S3 failure as the AppError callers see: STORAGE_UNAVAILABLE (503, retryable) with the reason
 * in the message; the SDK error stays as the cause for logs.
 */
export function storageUnavailable(what: string, err: unknown): AppError {
  return new AppError('STORAGE_UNAVAILABLE', `Object storage: ${what} failed (${s3ErrorReason(err)})`, { cause: err, retryable: true });
}
