import { pinnedRequest } from './pinned-request.js';
import type { VettedTarget } from './target-policy.js';

export interface PostOptions {
  target: VettedTarget;
  body: string;
  headers: Record<string, string>;
  /** Bound on the whole attempt: connect, send, response headers and (a bounded part of) the body. */
  timeoutMs: number;
  /** TLS: extra trusted CAs (tests); the default is the system's. */
  ca?: string | Buffer;
}

/** What the receiver answered, or why there was no answer. */
export type PostResult =
  | { kind: 'response'; statusCode: number; retryAfter: string | null; bodySnippet: string }
  | { kind: 'error'; error: string; timedOut: boolean };

const SNIPPET_BYTES = 512;

/**
 * POSTs one webhook. Redirects are never followed (a 3xx is just an answer); the connection is
 * pinned to the vetted address; a fresh agent per attempt, so no pooled socket to another address
 * is reused. Never throws.
 */
export function postWebhook(options: PostOptions): Promise<PostResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise<PostResult>((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const req = pinnedRequest(
      {
        target: options.target,
        method: 'POST',
        headers: { ...options.headers, 'Content-Length': String(Buffer.byteLength(options.body)) },
        signal,
        ca: options.ca,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        const done = () => {
          const retryAfter = res.headers['retry-after'];
          finish({
            kind: 'response',
            statusCode: res.statusCode ?? 0,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
            bodySnippet: Buffer.concat(chunks).toString('utf8').slice(0, 200),
          });
          res.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (bytes < SNIPPET_BYTES) chunks.push(chunk.subarray(0, SNIPPET_BYTES - bytes));
          bytes += chunk.length;
          if (bytes >= SNIPPET_BYTES) done();
        });
        res.on('end', done);
        // The status is known: a body cut short (timeout, reset) still counts as that answer.
        res.on('error', done);
        res.on('aborted', done);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      const timedOut = signal.aborted;
      finish({ kind: 'error', error: timedOut ? `timed out after ${options.timeoutMs} ms` : describe(err), timedOut });
    });
    req.end(options.body);
  });
}

function describe(err: NodeJS.ErrnoException): string {
  const code = typeof err.code === 'string' ? err.code : null;
  return code ? `${code}: ${err.message}` : err.message;
}
