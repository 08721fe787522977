import type http from 'node:http';
import type { Readable } from 'node:stream';
import { pinnedRequest } from './pinned-request.js';
import type { VettedTarget } from './target-policy.js';

export interface GetOptions {
  target: VettedTarget;
  /** Bound on the whole exchange, body included: past it the response stream errors. */
  timeoutMs: number;
  headers?: Record<string, string>;
  /** TLS: extra trusted CAs (tests); the default is the system's. */
  ca?: string | Buffer;
}

export interface PinnedResponse {
  statusCode: number;
  headers: http.IncomingHttpHeaders;
  /** The body; it errors when the time bound passes while it is read. */
  body: Readable;
}

/**
 * GETs a vetted URL the way webhooks are POSTed: the connection pinned to the vetted address (no
 * DNS rebinding), no redirects followed (a 3xx is returned as it is), a fresh agent, and one time
 * bound for connect, headers and body. Rejects on a transport error or the time bound.
 */
export function getPinned(options: GetOptions): Promise<PinnedResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  return new Promise<PinnedResponse>((resolve, reject) => {
    const req = pinnedRequest({ target: options.target, method: 'GET', headers: options.headers ?? {}, signal, ca: options.ca }, (res) =>
      resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: res }),
    );
    req.on('error', (err) => reject(signal.aborted ? Object.assign(new Error(`timed out after ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' }) : err));
    req.end();
  });
}
