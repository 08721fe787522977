import type { IncomingMessage, Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ROUTES, STREAM_CLOSE, STREAM_KEY_PROTOCOL_PREFIX, STREAM_PROTOCOL, systemClock } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { readActiveSnapshot, type ActiveSnapshot } from './active-snapshot.js';
import { CoalescedReads } from './coalesced-reads.js';
import type { EventHub } from './event-hub.js';
import { closeCodeLabel, streamMetrics } from '../metrics/stream-metrics.js';
import { startHeartbeat } from './heartbeat.js';
import { originAllowed } from './origin.js';
import { SocketQuota } from './socket-quota.js';
import { StreamConnection } from './stream-connection.js';
import type { StreamOptions } from './stream-options.js';
import { upgradeRateLimit } from './upgrade-rate-limit.js';

/** Where the upgrade is served: the route table's `openStream`. */
export const STREAM_PATH = ROUTES.openStream.path;

export interface StreamServer {
  /** Open sockets right now. */
  readonly connections: number;
  /** Closes every socket with 1001 "going away" (clients reconnect elsewhere) and stops. */
  close(): Promise<void>;
}

function reject(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): void {
  if (socket.destroyed) return;
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\n${extra}Content-Length: 0\r\n\r\n`);
}

/** The key a client put in `Sec-WebSocket-Protocol` (`gantry.key.<key>`), if any. */
function keyFromProtocols(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (!header) return undefined;
  const entry = header.split(',').map((p) => p.trim()).find((p) => p.startsWith(STREAM_KEY_PROTOCOL_PREFIX));
  return entry?.slice(STREAM_KEY_PROTOCOL_PREFIX.length);
}

/** Serves `/api/v1/stream` on the API's HTTP server. */
export function attachStreamServer(server: Server, deps: ApiDeps, hub: EventHub, options: StreamOptions): StreamServer {
  const log = deps.logger.child({ component: 'stream' });
  const clock = options.clock ?? systemClock;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes,
    perMessageDeflate: false, // CPU per message matters more than bytes at thousands of watchers
    // Only ever echo the protocol name: the key protocol must never be reflected back.
    handleProtocols: (protocols) => (protocols.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false),
  });
  const connections = new Map<WebSocket, StreamConnection>();
  const metrics = streamMetrics(deps.metrics);
  const ipSockets = new SocketQuota(options.maxSocketsPerIp);
  const keySockets = new SocketQuota(options.maxSocketsPerKey);
  const chargeUpgrade = upgradeRateLimit(deps, options.upgradesPerMinute);
  // A reconnect storm (an instance restarted, a load balancer dropped its connections) brings
  // thousands of `all` subscriptions at once: they share one read of their tenant's active jobs,
  // handed out in slices like the fan-out's.
  const snapshots = new CoalescedReads<string, ActiveSnapshot>({
    read: (tenantId) => readActiveSnapshot(deps, tenantId),
    onError: (err) => log.error({ err }, 'stream snapshot delivery failed'),
    // Once per failed read (each socket that shared it gets an error message and may subscribe again).
    onReadError: (err, tenantId) => log.error({ err, tenantId }, 'stream snapshot read failed'),
    sliceSize: 128,
    sliceBudgetMs: 5,
    now: () => performance.now(),
  });

  // Refusals happen before the upgrade (plain HTTP answers), cheapest check first: no Redis
  // round trip for a client already at its socket cap, no socket for a client over its rate.
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== STREAM_PATH) return reject(socket, 404, 'Not Found');
    if (!originAllowed(req, options.allowedOrigins)) {
      metrics.refused.inc({ reason: 'origin' });
      return reject(socket, 403, 'Forbidden');
    }
    const ip = options.clientIp(req);
    if (!ipSockets.tryAcquire(ip)) {
      metrics.refused.inc({ reason: 'ip_sockets' });
      return reject(socket, 429, 'Too Many Requests');
    }
    // The slot lives as long as the TCP connection, whatever happens to it from here on.
    socket.once('close', () => ipSockets.release(ip));
    socket.on('error', (err) => log.debug({ err }, 'stream upgrade socket error'));
    chargeUpgrade(ip).then(
      (retryAfterSeconds) => {
        if (retryAfterSeconds !== null) {
          metrics.refused.inc({ reason: 'rate_limited' });
          return reject(socket, 429, 'Too Many Requests', { 'Retry-After': String(retryAfterSeconds) });
        }
        wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req, socket));
      },
      (err: unknown) => {
        log.error({ err }, 'stream upgrade failed');
        socket.destroy();
      },
    );
  };

  const accept = (ws: WebSocket, req: IncomingMessage, socket: Duplex) => {
    const conn = new StreamConnection(ws, socket, deps, hub, options, log, keySockets, snapshots);
    connections.set(ws, conn);
    metrics.connections.inc();
    const authTimer = clock.setTimeout(() => {
      if (!conn.principal) conn.close(STREAM_CLOSE.UNAUTHENTICATED, 'authentication timeout');
    }, options.authTimeoutMs).unref();
    ws.on('pong', () => {
      conn.alive = true;
    });
    ws.on('message', (data, isBinary) => {
      metrics.received.inc();
      conn.handle(isBinary ? '' : data.toString('utf8'));
    });
    ws.on('error', (err) => log.debug({ err }, 'stream socket error'));
    ws.on('close', (code: number) => {
      metrics.connections.dec();
      metrics.closed.inc({ code: closeCodeLabel(code) });
      clock.clear(authTimer);
      connections.delete(ws);
      conn.dispose();
    });
    const key = keyFromProtocols(req);
    if (key) conn.authenticateFirst(key);
  };

  // Heartbeat: a socket that did not answer the previous ping is dead (half-open TCP) and goes,
  // unless that ping waits behind data its reader is still taking (StreamConnection.draining).
  const stopHeartbeat = startHeartbeat(() => connections.values(), { clock, intervalMs: options.pingIntervalMs });

  // A revoked key (or a rotated one whose grace ended) loses its open sockets at once.
  const stopWatchingKeys = deps.keys.onRevoked((keyId) => {
    for (const conn of connections.values()) {
      if (conn.principal?.keyId === keyId) conn.close(STREAM_CLOSE.UNAUTHENTICATED, 'API key revoked');
    }
  });

  server.on('upgrade', onUpgrade);
  return {
    get connections() {
      return connections.size;
    },
    close: async () => {
      stopHeartbeat();
      stopWatchingKeys();
      server.off('upgrade', onUpgrade);
      for (const conn of connections.values()) conn.close(STREAM_CLOSE.GOING_AWAY, 'server shutting down: reconnect');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
