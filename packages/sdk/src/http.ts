import type { Endpoint } from './endpoint.js';
import { clientError, errorFromResponse, GantryError } from './errors.js';
import { anySignal, backoffDelay, isAbortError, parseRetryAfter, sleep } from './signals.js';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How the transport retries: only idempotent calls (and submits carrying an idempotency key). */
export interface RetryOptions {
  /** Retries after the first try (default 3; 0 disables). */
  retries?: number;
  /** First backoff delay (default 250 ms), doubled each retry, with jitter. */
  baseDelayMs?: number;
  /** Cap of one wait, also of a Retry-After the API asks for (default 30 s). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  baseUrl: string;
  apiKey?: string | undefined;
  fetch: FetchLike;
  /** Per-attempt timeout (default 30 s; 0 disables). */
  timeoutMs: number;
  retry: Required<RetryOptions>;
  headers?: Record<string, string> | undefined;
}

/** Where a request goes: an operation's endpoint (see endpoint.ts), or a path or URL to GET (an artifact's `url`). */
type Target = Endpoint | string;

export interface RequestOptions {
  /** JSON body. */
  body?: unknown;
  /** Or bytes sent as they are (uploads); a stream is sent once, never retried. */
  rawBody?: Blob | Uint8Array | ReadableStream<Uint8Array>;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal | undefined;
  /** Safe to send again after a 429/503 or a network error. */
  idempotent?: boolean;
  /** Per-attempt timeout for this call (overrides the client's). */
  timeoutMs?: number | undefined;
  /** Non-2xx statuses returned as responses rather than thrown (e.g. 503 of a degraded health check). */
  acceptStatuses?: number[];
}

const RETRY_STATUSES = new Set([429, 503]);

/** The HTTP layer of the client: URLs, auth, JSON, problem+json errors, timeouts, retries. */
export class Transport {
  readonly baseUrl: string;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  /** An absolute URL for an API path (`/api/v1/...`) or an absolute URL. */
  url(pathOrUrl: string, query?: RequestOptions['query']): string {
    const url = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(this.baseUrl + (pathOrUrl.startsWith('/') ? '' : '/') + pathOrUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    return url.toString();
  }

  /** Whether a URL is on the API's origin (the key is only ever sent there). */
  sameOrigin(url: string): boolean {
    return new URL(url).origin === new URL(this.baseUrl).origin;
  }

  /** Sends a request and parses its JSON answer (undefined for 204); throws GantryError otherwise. */
  async json<T>(target: Target, options: RequestOptions = {}): Promise<{ data: T; response: Response }> {
    const response = await this.send(target, options);
    if (response.status === 204) return { data: undefined as T, response };
    const text = await response.text();
    try {
      return { data: (text === '' ? undefined : JSON.parse(text)) as T, response };
    } catch (err) {
      throw clientError('BAD_RESPONSE', `The API answered ${typeof target === 'string' ? target : target.path} with a body that is not JSON`, err);
    }
  }

  /** Sends a request; resolves with a 2xx response (body unread), throws GantryError otherwise. */
  async send(target: Target, options: RequestOptions = {}): Promise<Response> {
    const { method, path } = typeof target === 'string' ? { method: 'GET', path: target } : target;
    const url = this.url(path, options.query);
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json;q=0.9, */*;q=0.8', ...this.options.headers, ...options.headers };
    if (this.options.apiKey && this.sameOrigin(url)) headers.authorization = `Bearer ${this.options.apiKey}`;
    let body: RequestInit['body'] | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    } else if (options.rawBody !== undefined) {
      body = options.rawBody as RequestInit['body'];
      headers['content-type'] ??= 'application/octet-stream';
    }
    const streamed = typeof ReadableStream !== 'undefined' && options.rawBody instanceof ReadableStream;
    const retry = this.options.retry;
    const retries = options.idempotent && !streamed ? retry.retries : 0;
    for (let attempt = 0; ; attempt++) {
      let error: GantryError;
      try {
        const init = { method, headers, ...(body === undefined ? {} : { body }), ...(streamed ? { duplex: 'half' } : {}) } as RequestInit;
        const response = await this.attempt(url, init, options);
        if (response.ok || options.acceptStatuses?.includes(response.status)) return response;
        error = await problemOf(response);
        if (!RETRY_STATUSES.has(response.status) || attempt >= retries) throw error;
      } catch (err) {
        if (err instanceof GantryError && err.status !== 0) throw err;
        if (isAbortError(err) || !(err instanceof GantryError)) throw err;
        if (attempt >= retries) throw err;
        error = err;
      }
      const wait = error.retryAfter !== undefined ? Math.min(error.retryAfter * 1000, retry.maxDelayMs) : backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs);
      await sleep(wait, options.signal);
    }
  }

  /** One try, with the per-attempt timeout; network failures become NETWORK_ERROR / TIMEOUT. */
  private async attempt(url: string, init: RequestInit, options: RequestOptions): Promise<Response> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    const timeout = new AbortController();
    const timer = timeoutMs > 0 ? setTimeout(() => timeout.abort(), timeoutMs) : undefined;
    const combined = anySignal([options.signal, timeout.signal]);
    try {
      return await this.options.fetch(url, { ...init, signal: combined.signal });
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason ?? err;
      if (timeout.signal.aborted) throw clientError('TIMEOUT', `No answer from ${new URL(url).origin} within ${timeoutMs} ms`, err);
      throw clientError('NETWORK_ERROR', `Cannot reach ${new URL(url).origin}: ${describe(err)}`, err);
    } finally {
      if (timer !== undefined) clearTimeout(timer);
      combined.dispose();
    }
  }
}

async function problemOf(response: Response): Promise<GantryError> {
  const text = await response.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return errorFromResponse(response.status, body, response.headers.get('x-request-id') ?? undefined, parseRetryAfter(response.headers.get('retry-after')));
}

/** The most telling part of a fetch failure: undici hides the system error (ECONNREFUSED...) in `cause`. */
function describe(err: unknown): string {
  type Cause = { code?: string; message?: string; errors?: Cause[]; cause?: Cause };
  let cause = (err as Cause | undefined)?.cause;
  for (let depth = 0; cause && depth < 4; depth++) {
    if (cause.code) return cause.code;
    if (cause.errors?.[0]?.code) return cause.errors[0].code;
    if (!cause.cause && cause.message) return cause.message;
    cause = cause.cause;
  }
  return err instanceof Error ? err.message : String(err);
}
