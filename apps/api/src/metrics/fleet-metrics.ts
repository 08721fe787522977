import { listBackends } from '@gantry/db';
import { BACKEND_STATES, type BackendHealth, type HealthView, type SlotLeases } from '@gantry/fleet';
import { metricSet, ScrapeCache, scrapedGauges, type Gauge, type Registry } from '@gantry/metrics';
import type { ApiDeps } from '../context.js';

const BREAKER_PHASES = ['closed', 'open', 'half_open'] as const;

export interface BackendSample {
  id: string;
  capacity: number;
  inFlight: number;
  draining: boolean;
  view: HealthView;
}

/** Every registered backend with its shared health and live slot leases (3 round trips). */
export async function readFleet(deps: Pick<ApiDeps, 'db'>, health: BackendHealth, leases: SlotLeases): Promise<BackendSample[]> {
  const rows = await listBackends(deps.db);
  const [views, inFlight] = await Promise.all([health.views(rows), leases.inFlight(rows.map((r) => r.id))]);
  return rows.map((r) => ({ id: r.id, capacity: r.capacity, inFlight: inFlight[r.id] ?? 0, draining: r.draining, view: views.get(r.id)! }));
}

/**
 * Per-backend gauges of the whole fleet (PostgreSQL registry + Redis health and leases), read at
 * scrape time and cached. Every API instance reports the same fleet: aggregate with max().
 */
export const fleetMetrics = metricSet((registry: Registry) => {
  let cache: ScrapeCache<BackendSample[]> | null = null;
  // Unreadable now (Redis or PostgreSQL down): the gauges keep their last values.
  const fleetGauge = scrapedGauges(registry, async () => (cache ? cache.get().catch(() => null) : null));
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, b: BackendSample) => void) =>
    fleetGauge(name, help, labelNames, (g, fleet) => {
      for (const b of fleet) fill(g, b);
    });

  gauge('gantry_backend_capacity', 'Jobs a backend runs at once (its slots).', ['backend'], (g, b) => g.set({ backend: b.id }, b.capacity));
  gauge('gantry_backend_in_flight', 'Jobs running on a backend across all workers: live slot leases, and jobs whose prompt ended there while their outputs are stored.', ['backend'], (g, b) =>
    g.set({ backend: b.id }, b.inFlight),
  );
  gauge('gantry_backend_up', 'Whether the last health probe of a backend succeeded (1) or failed (0); absent before its first probe.', ['backend'], (g, b) => {
    const up = b.view.snapshot?.up;
    if (up === true || up === false) g.set({ backend: b.id }, up ? 1 : 0);
  });
  gauge('gantry_backend_state', 'A backend\'s derived state: 1 for its current state (healthy, unhealthy, open, draining, unknown), 0 for the others.', ['backend', 'state'], (g, b) => {
    for (const state of BACKEND_STATES) g.set({ backend: b.id, state }, b.view.state === state ? 1 : 0);
  });
  gauge('gantry_backend_circuit_state', 'A backend\'s circuit breaker: 1 for its current phase (closed, open, half_open), 0 for the others.', ['backend', 'state'], (g, b) => {
    for (const state of BREAKER_PHASES) g.set({ backend: b.id, state }, b.view.breaker === state ? 1 : 0);
  });
  gauge('gantry_backend_draining', 'Whether an operator drained a backend (1: no new jobs).', ['backend'], (g, b) => g.set({ backend: b.id }, b.view.draining ? 1 : 0));
  gauge('gantry_backend_vram_free_bytes', 'Free VRAM a backend reported at its last probe; absent until known.', ['backend'], (g, b) => {
    const mb = b.view.snapshot?.vramFreeMb;
    if (typeof mb === 'number') g.set({ backend: b.id }, mb * 1024 * 1024);
  });
  gauge('gantry_backend_vram_total_bytes', 'Total VRAM a backend reported at its last probe; absent until known.', ['backend'], (g, b) => {
    const mb = b.view.snapshot?.vramTotalMb;
    if (typeof mb === 'number') g.set({ backend: b.id }, mb * 1024 * 1024);
  });

  return {
    watch(read: () => Promise<BackendSample[]>, cacheMs: number): void {
      cache = new ScrapeCache(read, cacheMs);
    },
  };
});
