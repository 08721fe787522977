import { AppError } from '@gantry/domain';
import { backendError, backendUnavailable } from '../comfyui/errors.js';

/** A reply of any status, with its (size-limited) body. */
export interface A1111Reply {
  status: number;
  body: Buffer;
}

/** Per-request bounds. */
export interface A1111RequestOptions {
  /** Default: the client's `requestMs`. */
  timeoutMs?: number;
  /** Aborts the request (it then rejects BACKEND_UNAVAILABLE; the caller knows why it aborted). */
  signal?: AbortSignal;
}

/**
 * The A1111 API over Node's global fetch. Unlike ComfyUI's client, every status comes back to the
 * caller with its body, since A1111 explains failures (OOM included) in a 500's body. Transport
 * failures (refused, reset, timeout) reject BACKEND_UNAVAILABLE (retryable).
 */
export class A1111Http {
  private readonly base: string;

  constructor(
    baseUrl: string,
    private readonly options: { requestMs: number; maxResponseBytes: number },
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown, opts: A1111RequestOptions = {}): Promise<A1111Reply> {
    const what = `${method} ${path.split('?')[0]}`;
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.options.requestMs);
    const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
    try {
      const res = await fetch(`${this.base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      return { status: res.status, body: await this.read(res, what) };
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw unreachable(what, err, timeout.aborted);
    }
  }

  /** A 200 reply's JSON; BACKEND_UNAVAILABLE for 5xx, BACKEND_ERROR for anything else unexpected. */
  async json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const reply = await this.request(method, path, body);
    if (reply.status >= 500) throw backendUnavailable(`${method} ${path} answered ${reply.status}`, undefined, { status: reply.status });
    if (reply.status !== 200) throw backendError(`${method} ${path} answered ${reply.status}`, { status: reply.status, body: textOf(reply) });
    const parsed = parseJson(reply);
    if (parsed === undefined) throw backendError(`${method} ${path}: the reply is not JSON`, { body: textOf(reply) });
    return parsed;
  }

  /** Reads a body, refusing more than the limit: a backend's replies are untrusted. */
  private async read(res: Response, what: string): Promise<Buffer> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of (res.body ?? []) as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > this.options.maxResponseBytes) {
        await res.body?.cancel();
        throw backendError(`${what}: the reply is over the ${this.options.maxResponseBytes}-byte limit`, { limit: this.options.maxResponseBytes }, false);
      }
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJson(reply: A1111Reply): unknown {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The start of a body, for error details. */
export function textOf(reply: A1111Reply): string {
  return reply.body.subarray(0, 500).toString('utf8');
}

/**
 * fetch's TypeError('fetch failed') keeps the socket error (ECONNREFUSED, ECONNRESET…) as its
 * cause. Read by shape: undici's errors may come from another realm (jest), failing `instanceof`.
 */
function unreachable(what: string, err: unknown, timedOut: boolean): AppError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; message?: unknown; cause?: unknown };
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : e) as { code?: unknown; message?: unknown };
  const reason = timedOut ? 'timed out' : e.name === 'AbortError' ? 'aborted' : typeof cause.code === 'string' ? cause.code : String(cause.message ?? err);
  return backendUnavailable(`${what} failed: ${reason}`, err, { reason });
}
