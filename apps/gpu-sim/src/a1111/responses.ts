import { json, type SimResponse } from '../http/router.js';
import type { ValidationItem } from './pydantic.js';

/** An exception as A1111 code raises it: a Python type name and `str(e)`. */
export class A1111Exception extends Error {
  constructor(
    readonly pythonType: string,
    message: string,
    readonly status = 500,
    readonly detail: unknown = '',
  ) {
    super(message);
    this.name = 'A1111Exception';
  }
}

/** `HTTPException(status_code, detail)` as A1111 raises it (e.g. an unknown script). */
export function httpException(status: number, detail: string): A1111Exception {
  return new A1111Exception('HTTPException', `${status}: ${detail}`, status, detail);
}

/**
 * `api_middleware`'s `handle_exception`: every exception becomes `{error, detail, body, errors}`
 * with the exception's status (HTTPException) or 500. An unknown thrown value is a sim bug,
 * reported the same way so a client never sees a non-A1111 shape.
 */
export function errorResponse(err: unknown): SimResponse {
  const e = err instanceof A1111Exception ? err : new A1111Exception(err instanceof Error ? err.name : 'Exception', err instanceof Error ? err.message : String(err));
  return json(e.status, { error: e.pythonType, detail: e.detail, body: '', errors: e.message });
}

/** FastAPI's own request-validation reply (A1111 leaves its default handler in place). */
export function validationResponse(detail: ValidationItem[]): SimResponse {
  return json(422, { detail });
}
