import { AppError } from '@gantry/domain';

/**
 * Why follow() could not follow a prompt, as stable `details.reason` values of a BACKEND_ERROR.
 * They stay BACKEND_ERROR (not new error codes): a job that ends with one failed on a backend, and
 * the codes are part of the public job contract.
 */
export const FOLLOW_REASONS = {
  /** The backend does not know the prompt: never arrived, deleted, or forgotten by a restart. */
  promptUnknown: 'prompt_unknown',
  /** The prompt finished, but its outputs cannot be collected (A1111 without saved images). */
  outputsUnrecoverable: 'outputs_unrecoverable',
  /** lookup()/follow() cannot tell: the backend cannot name its jobs (A1111 without `/internal/progress`). */
  lookupUnsupported: 'lookup_unsupported',
} as const;

/** follow() of a prompt the backend does not know. Retryable: running it (again) is the way on. */
export function promptUnknown(promptId: string, backendId: string): AppError {
  return new AppError('BACKEND_ERROR', `Backend ${backendId} does not know prompt ${promptId}`, {
    details: { promptId, reason: FOLLOW_REASONS.promptUnknown },
    retryable: true,
  });
}

/** follow() of a prompt that finished without collectable outputs. Retryable: only a rerun gives them. */
export function outputsUnrecoverable(promptId: string, why: string): AppError {
  return new AppError('BACKEND_ERROR', `Prompt ${promptId} finished, but its outputs cannot be collected: ${why}`, {
    details: { promptId, reason: FOLLOW_REASONS.outputsUnrecoverable, why },
    retryable: true,
  });
}

/**
 * The backend cannot say what became of the prompt: rerunning it may run it twice, waiting may
 * wait for nothing. Not retryable: the caller decides.
 */
export function lookupUnsupported(promptId: string, backendId: string, why: string): AppError {
  return new AppError('BACKEND_ERROR', `Backend ${backendId} cannot say what became of prompt ${promptId}: ${why}`, {
    details: { promptId, reason: FOLLOW_REASONS.lookupUnsupported, why },
    retryable: false,
  });
}

function hasReason(err: unknown, reason: string): boolean {
  if (!(err instanceof AppError) || err.code !== 'BACKEND_ERROR') return false;
  const details = err.details as { reason?: unknown } | undefined;
  return details?.reason === reason;
}

/** Whether follow() rejected because the backend does not know the prompt. */
export function isPromptUnknown(err: unknown): boolean {
  return hasReason(err, FOLLOW_REASONS.promptUnknown);
}

/** Whether follow() rejected because the prompt's outputs cannot be collected. */
export function isOutputsUnrecoverable(err: unknown): boolean {
  return hasReason(err, FOLLOW_REASONS.outputsUnrecoverable);
}
