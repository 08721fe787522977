import type { Problem } from './types.js';

/**
 * Codes the client itself produces (the API's own codes, e.g. `NOT_FOUND` or
 * `VALIDATION_FAILED`, come from its problem+json body).
 */
export const CLIENT_ERROR_CODES = {
  /** The request did not reach the API or its answer did not arrive (DNS, refused, reset). */
  NETWORK_ERROR: 'NETWORK_ERROR',
  /** A `timeoutMs` (per request, or of `waitFor`) passed. */
  TIMEOUT: 'TIMEOUT',
  /** The API answered with something that is not what the protocol promises. */
  BAD_RESPONSE: 'BAD_RESPONSE',
  /** No WebSocket implementation: pass `WebSocket` (Node: `import { WebSocket } from 'ws'`). */
  NO_WEBSOCKET: 'NO_WEBSOCKET',
  /** The stream was closed for good (bad key: 4401, message too big: 1009, or too many reconnects). */
  STREAM_CLOSED: 'STREAM_CLOSED',
} as const;

export interface GantryErrorInit {
  status: number;
  code: string;
  title: string;
  detail: string;
  requestId?: string | undefined;
  errors?: unknown;
  type?: string | undefined;
  instance?: string | undefined;
  /** Seconds from a Retry-After header, when the API sent one. */
  retryAfter?: number | undefined;
  cause?: unknown;
}

/**
 * Every failure of the SDK: an API problem (`status` ≥ 400 and the API's `code`), or a client-side
 * one (`status` 0 and a code of CLIENT_ERROR_CODES). Switch on `code`, never on the message.
 */
export class GantryError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  readonly requestId: string | undefined;
  /** Field-level details: for `VALIDATION_FAILED` a list of `{path, message, code}`. */
  readonly errors: unknown;
  readonly type: string | undefined;
  readonly instance: string | undefined;
  readonly retryAfter: number | undefined;

  constructor(init: GantryErrorInit) {
    super(init.detail || init.title, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GantryError';
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.errors = init.errors;
    this.type = init.type;
    this.instance = init.instance;
    this.retryAfter = init.retryAfter;
  }

  /** The problem+json form (for logging or `--json` output). */
  toJSON(): Problem & { status: number; code: string } {
    const out: Problem & { status: number; code: string } = { status: this.status, code: this.code, title: this.title, detail: this.detail };
    if (this.requestId !== undefined) out.requestId = this.requestId;
    if (this.errors !== undefined) out.errors = this.errors;
    if (this.instance !== undefined) out.instance = this.instance;
    return out;
  }
}

export function isGantryError(err: unknown): err is GantryError {
  return err instanceof GantryError;
}

/** A GantryError of the client's own (status 0). */
export function clientError(code: keyof typeof CLIENT_ERROR_CODES, detail: string, cause?: unknown): GantryError {
  const titles: Record<keyof typeof CLIENT_ERROR_CODES, string> = {
    NETWORK_ERROR: 'Network error',
    TIMEOUT: 'Timed out',
    BAD_RESPONSE: 'Unexpected response',
    NO_WEBSOCKET: 'No WebSocket implementation',
    STREAM_CLOSED: 'Stream closed',
  };
  return new GantryError({ status: 0, code, title: titles[code], detail, cause });
}

/** Builds the error of a non-2xx response from its problem+json body (or whatever it was). */
export function errorFromResponse(status: number, body: unknown, requestId: string | undefined, retryAfter?: number): GantryError {
  const p = (body && typeof body === 'object' ? body : {}) as Problem;
  const text = typeof body === 'string' ? body.slice(0, 500) : '';
  return new GantryError({
    status,
    code: typeof p.code === 'string' ? p.code : fallbackCode(status),
    title: typeof p.title === 'string' ? p.title : `HTTP ${status}`,
    detail: typeof p.detail === 'string' ? p.detail : text || `HTTP ${status}`,
    requestId: typeof p.requestId === 'string' ? p.requestId : requestId,
    errors: p.errors,
    type: p.type,
    instance: p.instance,
    retryAfter,
  });
}

/** A code for responses without a problem body (a proxy's 502, say). */
function fallbackCode(status: number): string {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 503) return 'SERVICE_UNAVAILABLE';
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}
