import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerProcessHandleMetrics, SCALING_DEFAULTS } from './process-handles.js';

/** Which process a registry belongs to; becomes the `service` label on every series. */
export type MetricsRole = 'api' | 'worker';

/** prom-client's event-loop lag sampling (ms). */
export const EVENT_LOOP_PRECISION_MS = 20;

/**
 * prom-client's gauges named `_total` (a counter suffix: `promtool check metrics` refuses them). The
 * same figures stay available per type in `gantry_nodejs_active_{handles,requests}`.
 */
export const MISNAMED_DEFAULTS = ['gantry_nodejs_active_handles_total', 'gantry_nodejs_active_requests_total', 'gantry_nodejs_active_resources_total'];

/**
 * A registry for one app instance: default labels, plus the process metrics (memory, CPU, event-loop
 * lag, handles) under the `gantry_` prefix; those whose cost grows with open connections come from
 * process-handles.ts.
 */
export function createMetricsRegistry(role: MetricsRole, options: { instance?: string; processMetrics?: boolean; now?: () => number } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: role, ...(options.instance ? { instance_id: options.instance } : {}) });
  if (options.processMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: 'gantry_', eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
    // Those that walk every fd and handle on each scrape: replaced by ones that do not hold the loop.
    for (const name of SCALING_DEFAULTS) registry.removeSingleMetric(`gantry_${name}`);
    registerProcessHandleMetrics(registry, 'gantry_', options.now);
  }
  return registry;
}

/**
 * Memoises a family of metrics per registry: the first call for a registry creates them, later
 * calls return the same objects (prom-client refuses a second registration of one name).
 */
export function metricSet<T>(create: (registry: Registry) => T): (registry: Registry) => T {
  const sets = new WeakMap<Registry, T>();
  return (registry) => {
    let set = sets.get(registry);
    if (set === undefined) {
      set = create(registry);
      sets.set(registry, set);
    }
    return set;
  };
}
