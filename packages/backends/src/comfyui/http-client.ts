import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { AppError } from '@gantry/domain';
import type { OutputDownload, OutputFile } from '../driver.js';
import { backendError, backendUnavailable } from './errors.js';
import { KeepAliveHttp } from './keepalive-http.js';
import { isRecord } from './messages.js';
import { uploadImageBody, type InputFile } from './upload-input.js';

export interface HttpReply {
  status: number;
  body: Buffer;
  contentType: string;
}

/** A prompt in the backend's queue. */
export interface QueueEntry {
  state: 'running' | 'pending';
  /** Where its WebSocket events go (`extra_data.client_id`); null: submitted without one. */
  clientId: string | null;
}

export interface ComfyHttpOptions {
  /** Bound on every request except downloads. */
  requestMs: number;
  downloadMs: number;
  maxDownloadBytes: number;
}

/**
 * ComfyUI's HTTP API: the per-job calls over node:http with a keep-alive agent (KeepAliveHttp),
 * the input upload over Node's global fetch. Transport failures (refused, reset, timeout) and
 * 5xx replies become BACKEND_UNAVAILABLE (retryable); other statuses are returned to the caller.
 */
export class ComfyHttpClient {
  private readonly base: string;
  private readonly http: KeepAliveHttp;

  constructor(
    baseUrl: string,
    private readonly options: ComfyHttpOptions,
  ) {
    this.base = baseUrl.replace(/\/+$/, '');
    this.http = new KeepAliveHttp(this.base);
  }

  async request(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = this.options.requestMs): Promise<HttpReply> {
    let res: IncomingMessage;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      res = await this.http.send({
        method,
        path,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      throw unreachable(`${method} ${path}`, err);
    }
    const status = res.statusCode ?? 0;
    if (status >= 500) {
      res.destroy();
      throw backendUnavailable(`${method} ${path} answered ${status}`, undefined, { status });
    }
    const data = await readLimited(res, this.options.maxDownloadBytes, `${method} ${path}`, signal);
    return { status, body: data, contentType: res.headers['content-type'] ?? 'application/octet-stream' };
  }

  /** Ends the idle keep-alive sockets (the driver closes). */
  close(): void {
    this.http.close();
  }

  /** A 2xx JSON reply, or BACKEND_ERROR. */
  async json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const reply = await this.request(method, path, body);
    if (reply.status >= 300) throw backendError(`${method} ${path} answered ${reply.status}`, { status: reply.status });
    return parseJson(reply, `${method} ${path}`);
  }

  /** The history entry of a finished prompt; undefined while it is queued, running or unknown. */
  async historyEntry(promptId: string): Promise<unknown> {
    const body = await this.json('GET', `/history/${encodeURIComponent(promptId)}`);
    return isRecord(body) ? body[promptId] : undefined;
  }

  /**
   * Where the prompt is in `GET /queue` (items are `[number, prompt_id, prompt, extra_data,
   * outputs]`), with the client id its events go to; null when it is neither running nor pending.
   */
  async queueEntry(promptId: string): Promise<QueueEntry | null> {
    const body = await this.json('GET', '/queue');
    if (!isRecord(body)) throw backendError('GET /queue: not an object');
    for (const [state, list] of [['running', body.queue_running], ['pending', body.queue_pending]] as const) {
      if (!Array.isArray(list)) continue;
      for (const item of list) {
        if (!Array.isArray(item) || item[1] !== promptId) continue;
        const clientId = isRecord(item[3]) ? item[3].client_id : undefined;
        return { state, clientId: typeof clientId === 'string' && clientId !== '' ? clientId : null };
      }
    }
    return null;
  }

  /** Targeted interrupt: ComfyUI ignores it unless that prompt is running. */
  async interrupt(promptId: string): Promise<void> {
    await this.expectOk('POST', '/interrupt', { prompt_id: promptId });
  }

  /** Removes pending prompts (a running one is untouched). */
  async deleteQueued(promptIds: string[]): Promise<void> {
    await this.expectOk('POST', '/queue', { delete: promptIds });
  }

  /**
   * `GET /view` as a stream: the body is handed on as it arrives (never held whole), bounded by
   * `maxDownloadBytes` and by `downloadMs` for the whole transfer.
   */
  async view(file: OutputFile): Promise<OutputDownload> {
    const query = new URLSearchParams({ filename: file.filename, subfolder: file.subfolder, type: file.type });
    const what = `GET /view ${file.filename}`;
    let res: IncomingMessage;
    const signal = AbortSignal.timeout(this.options.downloadMs);
    try {
      res = await this.http.send({ method: 'GET', path: `/view?${query}`, signal });
    } catch (err) {
      throw unreachable(what, err);
    }
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      res.destroy();
      if (status >= 500) throw backendUnavailable(`${what} answered ${status}`, undefined, { status });
      throw backendError(`${what} answered ${status}`, { status, file }, false);
    }
    return {
      stream: Readable.from(limitedBody(res, this.options.maxDownloadBytes, what, signal)),
      contentType: res.headers['content-type'] ?? 'application/octet-stream',
    };
  }

  /**
   * `POST /upload/image` with the bytes streamed from the store. ComfyUI answers the name it kept:
   * ours when the file is new or equal bytes were there already; another name means a different
   * file holds ours (not content-addressed by Gantry), a BACKEND_ERROR.
   */
  async uploadInput(file: InputFile): Promise<void> {
    const source = await file.open();
    const { body, contentType, length } = uploadImageBody(file, source);
    let res: Response;
    try {
      res = await fetch(`${this.base}/upload/image`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': String(length) },
        body: body as unknown as RequestInit['body'],
        duplex: 'half',
        signal: AbortSignal.timeout(this.options.downloadMs),
      } as RequestInit);
    } catch (err) {
      source.destroy();
      if (err instanceof AppError) throw err;
      throw unreachable(`POST /upload/image ${file.filename}`, err);
    }
    const reply = await readLimited(res, 64 * 1024, 'POST /upload/image');
    if (res.status >= 500) throw backendUnavailable(`POST /upload/image answered ${res.status}`, undefined, { status: res.status });
    if (res.status !== 200) throw backendError(`POST /upload/image ${file.filename} answered ${res.status}`, { status: res.status });
    const kept = parseJson({ status: res.status, body: reply, contentType: 'application/json' }, 'POST /upload/image');
    if (!isRecord(kept) || kept.name !== file.filename || (kept.subfolder ?? '') !== file.subfolder) {
      throw backendError(`POST /upload/image kept ${file.filename} as ${JSON.stringify(kept)}`, { kept }, false);
    }
  }

  private async expectOk(method: 'GET' | 'POST', path: string, body?: unknown): Promise<void> {
    const reply = await this.request(method, path, body);
    if (reply.status >= 300) throw backendError(`${method} ${path} answered ${reply.status}`, { status: reply.status });
  }
}

export function parseJson(reply: HttpReply, what: string): unknown {
  try {
    return JSON.parse(reply.body.toString('utf8'));
  } catch {
    throw backendError(`${what}: the reply is not JSON`, { status: reply.status, body: reply.body.subarray(0, 200).toString('utf8') });
  }
}

/**
 * A body's chunks as they arrive, refusing more than `max` bytes (a backend's replies are
 * untrusted); a transport failure while reading is BACKEND_UNAVAILABLE. Stopping early (the
 * consumer is destroyed) cancels the body.
 */
async function* limitedBody(res: Response | IncomingMessage, max: number, what: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  let size = 0;
  try {
    for await (const chunk of (res instanceof Response ? (res.body ?? []) : res) as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > max) {
        // Leaving the loop cancels the body (the iterator holds its lock: cancel() here would throw).
        throw backendError(`${what}: the reply is over the ${max}-byte limit`, { limit: max }, false);
      }
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    // The request's timeout ended the reply midway: say so, not the reset it caused.
    throw unreachable(`${what} (reading the body)`, signal?.aborted ? signal.reason : err);
  }
}

/** A whole (small) reply: JSON answers and errors. */
async function readLimited(res: Response | IncomingMessage, max: number, what: string, signal?: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of limitedBody(res, max, what, signal)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** fetch's TypeError('fetch failed') keeps the socket error (ECONNREFUSED, ECONNRESET…) as its cause. */
function unreachable(what: string, err: unknown): AppError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = (cause as { code?: unknown } | undefined)?.code;
  const reason = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'timed out' : typeof code === 'string' ? code : String((cause as Error)?.message ?? cause);
  return backendUnavailable(`${what} failed: ${reason}`, err, { reason });
}
