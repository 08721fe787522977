import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@gantry/logger';
import { renderMetrics, type Registry } from '@gantry/metrics';

export interface ReadinessResult {
  ready: boolean;
  body: Record<string, unknown>;
}

export interface OpsServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  /** The worker's readiness (see readiness.ts). */
  readiness: () => Promise<ReadinessResult>;
  /** Bearer token for /metrics (GANTRY_METRICS_TOKEN); null: open. */
  metricsToken: string | null;
  logger: Logger;
}

export interface OpsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

const json = (res: ServerResponse, status: number, body: unknown, headers?: Record<string, string>) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);

/** A problem+json error, shaped like the API's (RFC 9457). */
const problem = (res: ServerResponse, status: number, code: string, title: string, detail: string, headers?: Record<string, string>) =>
  send(res, status, 'application/problem+json', JSON.stringify({ type: `urn:gantry:error:${code.toLowerCase()}`, title, status, detail, code }), headers);

/**
 * The worker's small HTTP server (node:http): `GET /metrics` (Prometheus text), `GET /livez`
 * (the process runs; no dependency checked) and `GET /readyz` (PostgreSQL, Redis and at least one
 * healthy backend → 200, else 503). Nothing else: 404; other methods: 405.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/livez' && path !== '/readyz') return problem(res, 404, 'NOT_FOUND', 'Not found', `No route for ${path}`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(res, 405, 'METHOD_NOT_ALLOWED', 'Method not allowed', 'Use GET', { Allow: 'GET, HEAD' });
    if (path === '/livez') return json(res, 200, { status: 'alive', uptimeSeconds: Math.round(process.uptime()) });
    if (path === '/readyz') {
      const result = await options.readiness();
      return json(res, result.ready ? 200 : 503, result.body);
    }
    if (options.metricsToken !== null && !tokenMatches(req.headers.authorization, options.metricsToken)) {
      return problem(res, 401, 'UNAUTHENTICATED', 'Authentication required', 'The metrics endpoint needs the metrics bearer token', {
        'WWW-Authenticate': 'Bearer realm="metrics"',
      });
    }
    const { contentType, body } = await renderMetrics(options.registry);
    return send(res, 200, contentType, body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      options.logger.error({ err, path: req.url?.split('?')[0] }, 'worker http request failed');
      if (!res.headersSent) problem(res, 500, 'INTERNAL', 'Internal server error', 'An unexpected error occurred');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
