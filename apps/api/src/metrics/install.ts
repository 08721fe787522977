import { BackendHealth, SlotLeases } from '@gantry/fleet';
import { artifactDiskMetrics, jobFinishMetrics, jobSubmitMetrics, recordBuildInfo } from '@gantry/metrics';
import type { ApiDeps } from '../context.js';
import { fleetMetrics, readFleet } from './fleet-metrics.js';
import { httpMetrics } from './http-metrics.js';
import { queueMetrics } from './queue-metrics.js';
import { streamMetrics } from './stream-metrics.js';

/**
 * Registers every metric family of the API in its registry and points the scrape-time ones at
 * this instance's connections. Idempotent (families are memoised per registry).
 */
export function installApiMetrics(deps: ApiDeps): void {
  const registry = deps.metrics;
  httpMetrics(registry);
  streamMetrics(registry);
  jobSubmitMetrics(registry);
  jobFinishMetrics(registry);
  recordBuildInfo(registry, deps.config.version, deps.config.commit);
  // The disk gauges measure the local store's filesystem; with S3 there is none (they stay unset).
  if (deps.config.artifactDir !== null) artifactDiskMetrics(registry).watch(deps.config.artifactDir);
  const cacheMs = deps.config.metricsCacheMs;
  queueMetrics(registry).watch(deps, cacheMs);
  const prefix = deps.queue.opts.prefix ?? 'gantry';
  const health = new BackendHealth(deps.redis, { prefix });
  const leases = new SlotLeases(deps.redis, { prefix });
  fleetMetrics(registry).watch(() => readFleet(deps, health, leases), cacheMs);
}
