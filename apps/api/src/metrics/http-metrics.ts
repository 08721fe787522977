import type { RequestHandler } from 'express';
import { Counter, Gauge, HTTP_LATENCY_BUCKETS, Histogram, metricSet, type Registry } from '@gantry/metrics';
import { routeLabel } from './route-label.js';

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
    const started = process.hrtime.bigint();
    let route = 'unmatched';
    let matched: unknown;
    Object.defineProperty(req, 'route', {
      configurable: true,
      enumerable: true,
      get: () => matched,
      set: (value: unknown) => {
        matched = value;
        route = routeLabel(req.baseUrl, value);
      },
    });
    m.inFlight.inc();
    let recorded = false;
    const record = (status: string) => {
      if (recorded) return;
      recorded = true;
      m.inFlight.dec();
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      // A mount that is not an Express route (the dashboard's asset handler) names itself.
      const mountLabel = (res.locals as { metricsRoute?: unknown }).metricsRoute;
      if (route === 'unmatched' && typeof mountLabel === 'string') route = mountLabel;
      m.requests.inc({ method, route, status });
      m.duration.observe({ method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      const code = (res.locals as { problemCode?: unknown }).problemCode;
      if (typeof code === 'string') m.errors.inc({ route, code });
    };
    // Recorded as the response is ended (before the client can read it, so a scrape that follows a
    // response always includes it); a connection closed before that counts as 499.
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      record(String(res.statusCode));
      return end(...args);
    }) as typeof res.end;
    res.once('close', () => record('499'));
    next();
  };
}
