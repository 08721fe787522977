import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiResources } from './bootstrap.js';
import { createApp } from './app.js';
import { attachStreamServer, type StreamServer } from './stream/stream-server.js';

export interface RunningApi {
  server: Server;
  stream: StreamServer;
  url: string;
  port: number;
  /** Stops accepting connections and waits for open requests (bounded by `graceMs`). */
  close(graceMs?: number): Promise<void>;
}

/** Listens with the app and the WebSocket gateway; used by main.ts and by tests (port 0). */
export async function listenApi(resources: ApiResources, port: number, host: string): Promise<RunningApi> {
  const app = createApp(resources.deps);
  // Graceful stop: once closing, every response says `Connection: close` and connections are
  // closed as soon as they fall idle, so keep-alive clients cannot keep an instance busy with new
  // requests while it drains (they reconnect, to another instance).
  let closing = false;
  const open = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    if (closing) res.setHeader('Connection', 'close');
    app(req, res);
  });
  const stream = attachStreamServer(server, resources.deps, resources.hub, resources.streamOptions);
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  server.headersTimeout = 66_000;
  server.requestTimeout = 5 * 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    stream,
    port: address.port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    close: async (graceMs = 10_000) => {
      closing = true;
      for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      // WebSocket clients first, with "going away", so they reconnect to another instance.
      await stream.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
