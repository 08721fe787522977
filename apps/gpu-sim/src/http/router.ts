import type { IncomingMessage, RequestListener } from 'node:http';

/** The part of an HTTP request a route sees. */
export interface SimRequest {
  method: string;
  /** Path without the optional `/api` prefix. */
  path: string;
  query: URLSearchParams;
  /** Captures of the route's pattern. */
  params: string[];
  /** The body parsed as JSON; rejects on a malformed body. */
  json(): Promise<unknown>;
  /** The request itself, for bodies read as a stream (multipart uploads). */
  incoming: IncomingMessage;
}

export interface SimResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Route {
  method: 'GET' | 'POST';
  /** An exact path or an anchored pattern whose groups become `params`. */
  path: string | RegExp;
  handler: (req: SimRequest) => SimResponse | Promise<SimResponse>;
}

/** Request bodies above this are refused (ComfyUI's default limit is 100 MB; prompts are small). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export const json = (status: number, value: unknown): SimResponse => ({ status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value) });
export const empty = (status = 200): SimResponse => ({ status });
export const text = (status: number, body: string): SimResponse => ({ status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body });

/** Answers a request before any route sees it (injected faults), or lets it through (undefined). */
export type Intercept = (path: string) => SimResponse | undefined;

/**
 * Dispatches to `routes`. Every route also answers under `/api`, as ComfyUI registers both.
 * Unknown paths get aiohttp's 404 text, a thrown error its 500 text (what ComfyUI does for a
 * malformed JSON body).
 */
export function createRequestListener(routes: readonly Route[], intercept?: Intercept): RequestListener {
  return (req, res) => {
    void dispatch(routes, req, intercept)
      .catch(() => text(500, '500 Internal Server Error\n\nServer got itself in trouble'))
      .then((response) => {
        res.writeHead(response.status, response.headers);
        res.end(response.body);
      })
      .catch(() => res.destroy()); // the client went away, or a header was unwritable
  };
}

async function dispatch(routes: readonly Route[], req: IncomingMessage, intercept?: Intercept): Promise<SimResponse> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const path = url.pathname === '/api' || url.pathname.startsWith('/api/') ? url.pathname.slice(4) || '/' : url.pathname;
  const intercepted = intercept?.(path);
  if (intercepted) return intercepted;
  let pathMatched = false;
  for (const route of routes) {
    const match = typeof route.path === 'string' ? (route.path === path ? [path] : null) : route.path.exec(path);
    if (!match) continue;
    pathMatched = true;
    if (route.method !== req.method) continue;
    return route.handler({ method: req.method, path, query: url.searchParams, params: match.slice(1).map((p) => decodeURIComponent(p ?? '')), json: () => readJson(req), incoming: req });
  }
  return pathMatched ? text(405, '405: Method Not Allowed') : text(404, '404: Not Found');
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
