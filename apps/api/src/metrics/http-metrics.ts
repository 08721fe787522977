import type { Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, HTTP_LATENCY_BUCKETS, Histogram, metricSet, type Registry } from '@gantry/metrics';
import { cachedRouteLabel } from './route-label.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** HTTP metrics of the API: requests, latency, problem responses, requests in flight. */
export const httpMetrics = metricSet((registry: Registry) => ({
  requests: new Counter({
    name: 'gantry_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  }),
  duration: new Histogram({
    name: 'gantry_http_request_duration_seconds',
    help: 'Time from the request arriving to the response being written, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_LATENCY_BUCKETS,
    registers: [registry],
  }),
  errors: new Counter({
    name: 'gantry_http_errors_total',
    help: 'Problem (error) responses, by route pattern and stable error code.',
    labelNames: ['route', 'code'] as const,
    registers: [registry],
  }),
  inFlight: new Gauge({
    name: 'gantry_http_requests_in_flight',
    help: 'HTTP requests being handled right now.',
    registers: [registry],
  }),
}));

type HttpMetrics = ReturnType<typeof httpMetrics>;

/** What the metrics keep of one request while it runs (one object per request, no closures). */
class RequestMetrics {
  readonly started = process.hrtime.bigint();
  route = 'unmatched';
  matched: unknown = undefined;
  private recorded = false;

  constructor(
    private readonly m: HttpMetrics,
    private readonly req: Request,
    private readonly res: Response,
  ) {}

  /** Counts and times the request once, with `status` (the first call wins). */
  record(status: string): void {
    if (this.recorded) return;
    this.recorded = true;
    const { m, req, res } = this;
    m.inFlight.dec();
    const method = METHODS.has(req.method) ? req.method : 'OTHER';
    // A mount that is not an Express route (the dashboard's asset handler) names itself.
    const mountLabel = (res.locals as { metricsRoute?: unknown }).metricsRoute;
    const route = this.route === 'unmatched' && typeof mountLabel === 'string' ? mountLabel : this.route;
    m.requests.inc({ method, route, status });
    m.duration.observe({ method, route }, Number(process.hrtime.bigint() - this.started) / 1e9);
    const code = (res.locals as { problemCode?: unknown }).problemCode;
    if (typeof code === 'string') m.errors.inc({ route, code });
  }
}

const STATE = Symbol('gantry.httpMetrics');
type Tracked = { [STATE]?: RequestMetrics; baseUrl: string };

/** The response's `close` listener (shared, `this` is the response): closed before it was ended, 499. */
function recordClosed(this: Tracked): void {
  this[STATE]?.record('499');
}

/** Request and response prototypes (an app's `request`/`response`) given the accessors below, once each. */
const installed = new WeakSet<object>();

/**
 * `req.route` as an accessor of the app's request prototype (defined once, not on every request):
 * the router's assignment names the request's route label at that moment. A request not tracked
 * keeps a plain property.
 */
function installRouteCapture(proto: object): void {
  if (installed.has(proto)) return;
  installed.add(proto);
  Object.defineProperty(proto, 'route', {
    configurable: true,
    enumerable: true,
    get(this: Tracked) {
      return this[STATE]?.matched;
    },
    set(this: Tracked, value: unknown) {
      const state = this[STATE];
      if (!state) {
        Object.defineProperty(this, 'route', { configurable: true, enumerable: true, writable: true, value });
        return;
      }
      state.matched = value;
      state.route = cachedRouteLabel(this.baseUrl, value);
    },
  });
}

/** `res.end` of the app's response prototype records the request first (once, not a wrapper per request). */
function installEndRecord(proto: { end: (...args: unknown[]) => unknown }): void {
  if (installed.has(proto)) return;
  installed.add(proto);
  const end = proto.end;
  proto.end = function endRecorded(this: { statusCode: number; [STATE]?: RequestMetrics }, ...args: unknown[]) {
    this[STATE]?.record(String(this.statusCode));
    return end.apply(this, args);
  };
}

/**
 * Measures every request. The route label is the Express route pattern that matched
 * (`/api/v1/jobs/:id`), captured when the router assigns `req.route` (the mount path is right at
 * that moment, even if an error later unwinds the router); `unmatched` when no route matched (404s,
 * refusals by middleware before routing, static files). A connection closed before the response
 * was ended (the client went away) is counted with status 499.
 */
export function trackHttpMetrics(registry: Registry): RequestHandler {
  const m = httpMetrics(registry);
  return (req, res, next) => {
    installRouteCapture(Object.getPrototypeOf(req) as object);
    installEndRecord(Object.getPrototypeOf(res) as { end: (...args: unknown[]) => unknown });
    const state = new RequestMetrics(m, req, res);
    (req as unknown as Tracked)[STATE] = state;
    // Recorded as the response is ended (before the client can read it, so a scrape that follows a
    // response always includes it: the prototype's `end`); a connection closed before that counts as 499.
    (res as unknown as Tracked)[STATE] = state;
    m.inFlight.inc();
    res.on('close', recordClosed); // recorded once: a close after the end records nothing
    next();
  };
}
