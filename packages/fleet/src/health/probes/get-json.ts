/** A failed probe request; `status` is set when the backend answered (non-2xx). */
export class ProbeError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    /** No answer within the bound. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** Replies over this size are refused: a backend's replies are untrusted. */
const MAX_REPLY_BYTES = 64 * 1024 * 1024;

/**
 * GETs `path` under `baseUrl` and parses the JSON reply, within `timeoutMs`. Every failure
 * (refused, timeout, non-2xx, not JSON, too big) is a {@link ProbeError} with a short message.
 */
export async function getJson(baseUrl: string, path: string, timeoutMs: number): Promise<unknown> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal });
  } catch (err) {
    // A pooled keep-alive socket the server closed meanwhile fails at once: one fresh try.
    if (!STALE_SOCKET.has(reason(err)) || signal.aborted) throw failed(path, err, signal);
    try {
      res = await fetch(url, { headers: { accept: 'application/json' }, signal });
    } catch (again) {
      throw failed(path, again, signal);
    }
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel().catch(() => undefined);
    throw new ProbeError(`GET ${path} answered ${res.status}`, res.status);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > MAX_REPLY_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new ProbeError(`GET ${path}: the reply is over ${MAX_REPLY_BYTES} bytes`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new ProbeError(`GET ${path} failed while reading: ${reason(err)}`, undefined, signal.aborted);
  }
  if (text.length > MAX_REPLY_BYTES) throw new ProbeError(`GET ${path}: the reply is over ${MAX_REPLY_BYTES} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProbeError(`GET ${path}: the reply is not JSON`);
  }
}

function failed(path: string, err: unknown, signal: AbortSignal): ProbeError {
  const why = reason(err);
  return new ProbeError(`GET ${path} failed: ${why}`, undefined, signal.aborted || why === 'timed out');
}

/**
 * fetch's TypeError('fetch failed') keeps the socket error (ECONNREFUSED, …) as its cause.
 * Duck-typed: the abort's DOMException may come from another realm than this module's Error.
 */
function reason(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown; cause?: { name?: unknown; code?: unknown; message?: unknown } } | null;
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || e?.cause?.name === 'TimeoutError') return 'timed out';
  if (typeof e?.cause?.code === 'string') return e.cause.code;
  if (typeof e?.cause?.message === 'string') return e.cause.message;
  return typeof e?.message === 'string' ? e.message : String(err);
}
