import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export { startRun, type StartedRun } from './sim-fixtures.js';

/** Tight bounds so failure paths finish in well under a second or two. */
export const A1111_FAST_TIMEOUTS = { requestMs: 2000, generationMs: 15_000, pollIntervalMs: 20, cancelGraceMs: 800, orphanWatchMs: 10_000 };

/** Polls `read` until `predicate` holds (bounded). */
export async function until<T>(read: () => Promise<T>, predicate: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** JSON from the sim, for checks the driver does not expose. */
export async function simJson(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/**
 * An A1111 without the task API (like one started with `--nowebui`): forwards everything to
 * `target` except `/internal/progress`, which is 404.
 */
export function startProxyWithoutTaskApi(target: string): Promise<{ url: string; close(): Promise<void> }> {
  return startProxyWithout(target, ['/internal/']);
}

/** Forwards everything to `target` except paths starting with one of `hidden`, which are FastAPI's bare 404. */
export async function startProxyWithout(target: string, hidden: string[]): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (hidden.some((prefix) => req.url?.startsWith(prefix))) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
      fetch(`${target}${req.url}`, { method: req.method, body: req.method === 'GET' ? undefined : Buffer.concat(chunks) }).then(
        async (upstream) => res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await upstream.arrayBuffer())),
        () => res.destroy(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
