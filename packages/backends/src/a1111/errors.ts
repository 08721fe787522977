import { AppError } from '@gantry/domain';
import { backendError, backendUnavailable } from '../comfyui/errors.js';
import { isRecord } from '../comfyui/messages.js';
import { parseJson, textOf, type A1111Reply } from './http.js';

/** One FastAPI validation item, `{loc, msg, type}`. */
export interface FieldProblem {
  loc: Array<string | number>;
  msg: string;
  type: string;
}

/** Parameters refused before or by the backend: WORKFLOW_INVALID (never retried), `details` = the FastAPI `detail`. */
export function paramsInvalid(detail: unknown, source: string): AppError {
  const items = Array.isArray(detail) ? detail.filter(isRecord) : [];
  const summary = items.slice(0, 3).map((d) => `${Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '?'}: ${String(d.msg)}`);
  const text = summary.length ? summary.join('; ') : typeof detail === 'string' ? detail : 'invalid parameters';
  return new AppError('WORKFLOW_INVALID', `${source} rejected the txt2img parameters: ${text}`, { details: detail, retryable: false });
}

/** Zod's issues in FastAPI's shape, so a caller sees one kind of `details` whoever refused the parameters. */
export function zodDetail(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string; code: string }>): FieldProblem[] {
  return issues.map((issue) => ({ loc: ['body', ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))], msg: issue.message, type: issue.code }));
}

/**
 * A txt2img reply other than 200. 422 (FastAPI validation, or an unknown script) and 400 (old
 * servers' "Sampler not found") → WORKFLOW_INVALID. A 500 in A1111's `{error, detail, body,
 * errors}` shape is an exception in the job: OUT_OF_MEMORY (retryable: another GPU, or this one
 * once freed, may fit it) or EXECUTION_ERROR, as ComfyUI's execution errors are. Any other 5xx
 * (no A1111 body: a proxy, a crashed server) → BACKEND_UNAVAILABLE; the rest → BACKEND_ERROR.
 */
export function replyError(reply: A1111Reply): AppError {
  const body = parseJson(reply);
  const status = reply.status;
  if (status === 422 || status === 400) return paramsInvalid(isRecord(body) ? body.detail : textOf(reply), 'The backend');
  const exception = isRecord(body) && typeof body.error === 'string' ? body : null;
  if (status >= 500 && exception) {
    const details = { status, error: exception.error, detail: exception.detail, body: exception.body, errors: exception.errors };
    const message = String(exception.errors ?? '').split('\n')[0]?.trim() || String(exception.error);
    if (/OutOfMemory/i.test(String(exception.error)) || /out of memory/i.test(message)) {
      return new AppError('OUT_OF_MEMORY', `GPU out of memory in txt2img: ${message}`, { details, retryable: true });
    }
    return new AppError('EXECUTION_ERROR', `${String(exception.error)} in txt2img: ${message}`, { details });
  }
  if (status >= 500) return backendUnavailable(`POST /sdapi/v1/txt2img answered ${status}`, undefined, { status, body: textOf(reply) });
  return backendError(`POST /sdapi/v1/txt2img answered ${status}`, { status, body: isRecord(body) ? body : textOf(reply) });
}

/** Someone else interrupted our job (A1111's interrupt is global); another backend may run it. */
export function interruptedElsewhere(taskId: string): AppError {
  return backendError(`txt2img task ${taskId} was interrupted on the backend`, { promptId: taskId, reason: 'interrupted' });
}
