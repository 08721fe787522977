import { AppError } from '@gantry/domain';
import { isRecord, stringOr } from './messages.js';

/**
 * ComfyUI's `execution_error` data → EXECUTION_ERROR, or OUT_OF_MEMORY (retryable: another GPU,
 * or the same one after ComfyUI unloaded its models, may fit it) when the exception says so.
 */
export function executionFailure(data: Record<string, unknown>): AppError {
  const exceptionType = stringOr(data.exception_type, '');
  const exceptionMessage = stringOr(data.exception_message, '');
  const details = {
    promptId: stringOr(data.prompt_id, null),
    nodeId: stringOr(data.node_id, null),
    nodeType: stringOr(data.node_type, null),
    exceptionType,
    exceptionMessage,
    traceback: Array.isArray(data.traceback) ? data.traceback.filter((l) => typeof l === 'string') : [],
  };
  // torch.OutOfMemoryError, torch.cuda.OutOfMemoryError, or a message from another allocator.
  const oom = /OutOfMemory/i.test(exceptionType) || /out of memory/i.test(exceptionMessage);
  const firstLine = exceptionMessage.split('\n')[0]?.trim() || exceptionType || 'unknown error';
  const where = details.nodeType ? ` in ${details.nodeType} (node ${details.nodeId})` : '';
  return oom
    ? new AppError('OUT_OF_MEMORY', `GPU out of memory${where}: ${firstLine}`, { details, retryable: true })
    : new AppError('EXECUTION_ERROR', `${exceptionType || 'Error'}${where}: ${firstLine}`, { details });
}

/** A 400 from `POST /prompt` → WORKFLOW_INVALID, never retried; the body goes into details. */
export function workflowInvalid(body: unknown): AppError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const nodeErrors = isRecord(body) && isRecord(body.node_errors) ? body.node_errors : {};
  const summary = Object.entries(nodeErrors)
    .slice(0, 3)
    .flatMap(([id, entry]) => {
      const errors = isRecord(entry) && Array.isArray(entry.errors) ? entry.errors : [];
      const classType = isRecord(entry) ? stringOr(entry.class_type, '?') : '?';
      return errors.filter(isRecord).map((e) => `${classType} ${id}: ${stringOr(e.message, '?')} (${stringOr(e.details, '')})`);
    });
  const message = [stringOr(error.message, 'The backend rejected the workflow'), ...summary].join('; ');
  return new AppError('WORKFLOW_INVALID', message, { details: { error, node_errors: nodeErrors }, retryable: false });
}

/** The backend cannot be reached or answered 5xx: try another one. */
export function backendUnavailable(message: string, cause?: unknown, details?: unknown): AppError {
  return new AppError('BACKEND_UNAVAILABLE', message, { cause, details, retryable: true });
}

/** The backend answered something outside the protocol. */
export function backendError(message: string, details?: unknown, retryable = true): AppError {
  return new AppError('BACKEND_ERROR', message, { details, retryable });
}

/** The caller aborted: the prompt was interrupted or removed from the queue. */
export function canceled(promptId: string): AppError {
  return new AppError('CANCELED', `Prompt ${promptId} was canceled`, { details: { promptId } });
}

/** Someone else (a ComfyUI user, another orchestrator) interrupted the prompt; another backend may run it. */
export function interruptedElsewhere(promptId: string): AppError {
  return backendError(`Prompt ${promptId} was interrupted on the backend`, { promptId, reason: 'interrupted' });
}
