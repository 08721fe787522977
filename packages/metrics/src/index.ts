/**
 * @gantry/metrics — Prometheus metrics shared by the API and the worker (prom-client).
 *
 * One `Registry` per running app instance (an API or a worker), never prom-client's global one, so
 * that several instances in one process (tests) keep separate figures. A feature module defines its
 * metric family once per registry with `metricSet`:
 *
 *   export const retentionMetrics = metricSet((registry) => ({
 *     deletedJobs: new Counter({ name: 'gantry_retention_deleted_jobs_total', help: '…', registers: [registry] }),
 *   }));
 *   retentionMetrics(deps.metrics).deletedJobs.inc();
 *
 * Values read from elsewhere (Redis, PostgreSQL, the disk) are collected at scrape time in a
 * gauge's `collect()`, through a `ScrapeCache`. Every metric is documented in docs/metrics.md.
 */
// collectDefaultMetrics: for bench:scrape's baseline (the registry before process-handles.ts).
export { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
export * from './registry.js';
export * from './scrape-cache.js';
export * from './disk-space.js';
export * from './disk-metrics.js';
export * from './exposition.js';
export * from './buckets.js';
export * from './job-metrics.js';
export * from './build-info.js';
export * from './scraped-gauges.js';
export * from './package-version.js';
export { HANDLES_TTL_MS } from './process-handles.js';
