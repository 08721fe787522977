import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';

export interface KeepAliveRequest {
  method: 'GET' | 'POST';
  /** Path and query, from the origin's root. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Ends the request, and the reading of its reply, when it aborts. */
  signal: AbortSignal;
}

/** Idle sockets are closed after this long (as undici does), well before a server's own keep-alive ends them. */
const IDLE_MS = 4_000;

/**
 * Requests to one backend over node:http(s) with a keep-alive agent of its own. Used instead of
 * the global fetch for the calls every job makes (POST /prompt, GET /history, GET /view): fetch's
 * WHATWG layers (Request, Response, web streams over undici) cost about twice the CPU per request
 * here (bench/README.md, "Dispatch"). A GET that finds its reused socket closed by the server
 * (ECONNRESET before any reply) is sent once more on a fresh one. Idle sockets do not keep the
 * process alive; `close()` ends them.
 */
export class KeepAliveHttp {
  private readonly origin: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(baseUrl: string) {
    this.origin = new URL(baseUrl);
    const secure = this.origin.protocol === 'https:';
    this.transport = secure ? https : http;
    const options = { keepAlive: true, timeout: IDLE_MS };
    this.agent = secure ? new https.Agent(options) : new http.Agent(options);
  }

  /** The reply once its head arrived (its body still to read); rejects with the transport's error. */
  async send(request: KeepAliveRequest): Promise<IncomingMessage> {
    try {
      return await this.once(request);
    } catch (err) {
      if (request.method === 'GET' && err instanceof StaleSocketError && !request.signal.aborted) return this.once(request);
      throw err instanceof StaleSocketError ? err.cause : err;
    }
  }

  private once(request: KeepAliveRequest): Promise<IncomingMessage> {
    const basePath = this.origin.pathname.replace(/\/+$/, '');
    return new Promise((resolve, reject) => {
      const headers = { ...request.headers, ...(request.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(request.body)) }) };
      const req = this.transport.request(
        {
          protocol: this.origin.protocol,
          hostname: this.origin.hostname,
          port: this.origin.port,
          path: `${basePath}${request.path}`,
          method: request.method,
          headers,
          agent: this.agent,
          signal: request.signal,
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(req.reusedSocket && err.code === 'ECONNRESET' ? new StaleSocketError(err) : err));
      req.end(request.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The server had closed the kept-alive socket the request went out on. */
class StaleSocketError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message, { cause });
  }
}
