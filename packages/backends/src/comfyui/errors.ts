import { AppError, formatModelRef, loaderInputKind, uniqueRefs, type ModelRef } from '@gantry/domain';
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

/**
 * A 400 from `POST /prompt` → WORKFLOW_INVALID, never retried; the body goes into details. When
 * every error is `value_not_in_list` on a loader's model input, the workflow is fine and this
 * backend lacks the files: MODEL_UNAVAILABLE, retryable on another backend (details: `models`).
 */
export function promptRejected(body: unknown): AppError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : {};
  const nodeErrors = isRecord(body) && isRecord(body.node_errors) ? body.node_errors : {};
  const missing = missingModels(nodeErrors);
  if (missing) {
    return new AppError('MODEL_UNAVAILABLE', `The backend does not hold ${missing.map(formatModelRef).join(', ')}`, {
      details: { models: missing, error, node_errors: nodeErrors },
      retryable: true,
    });
  }
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

/**
 * The models named by `value_not_in_list` errors on loader inputs, or null when the node errors
 * hold anything else (or nothing): then the workflow itself is at fault.
 */
function missingModels(nodeErrors: Record<string, unknown>): ModelRef[] | null {
  const refs: ModelRef[] = [];
  for (const entry of Object.values(nodeErrors)) {
    if (!isRecord(entry) || !Array.isArray(entry.errors)) return null;
    const classType = stringOr(entry.class_type, '');
    for (const e of entry.errors) {
      if (!isRecord(e) || e.type !== 'value_not_in_list' || !isRecord(e.extra_info)) return null;
      const kind = loaderInputKind(classType, stringOr(e.extra_info.input_name, ''));
      const name = e.extra_info.received_value;
      if (!kind || typeof name !== 'string') return null;
      refs.push({ kind, name });
    }
  }
  return refs.length > 0 ? uniqueRefs(refs) : null;
}
