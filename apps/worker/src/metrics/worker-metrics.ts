import { Gauge, metricSet, type Registry } from '@gantry/metrics';

export interface WorkerGaugeSources {
  /** Jobs this worker's processor is running now. */
  active: () => number;
  /** Its BullMQ concurrency (jobs it may take at once). */
  concurrency: () => number;
  /** Slot leases this process holds. */
  leasesHeld: () => number;
  /** Backends it serves. */
  backends: () => number;
  /** Whether /readyz would say ready (evaluated at scrape time). */
  ready: () => Promise<boolean>;
}

/** A worker's own gauges, read at scrape time from the running worker. */
export const workerMetrics = metricSet((registry: Registry) => {
  let sources: WorkerGaugeSources | null = null;
  const simple = (name: string, help: string, read: (s: WorkerGaugeSources) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        if (sources) this.set(read(sources));
      },
    });
  simple('gantry_worker_jobs_active', 'Jobs this worker is running now.', (s) => s.active());
  simple('gantry_worker_concurrency', 'Jobs this worker may take at once (its BullMQ concurrency).', (s) => s.concurrency());
  simple('gantry_worker_leases_held', 'Backend slot leases this worker holds.', (s) => s.leasesHeld());
  simple('gantry_worker_backends', 'Backends this worker serves (registry entries whose tags cover GANTRY_WORKER_TAGS).', (s) => s.backends());
  new Gauge({
    name: 'gantry_worker_ready',
    help: 'Whether this worker is ready (1): job loop running, PostgreSQL and Redis up, at least one healthy backend.',
    registers: [registry],
    async collect() {
      if (sources) this.set((await sources.ready().catch(() => false)) ? 1 : 0);
    },
  });
  return {
    watch(s: WorkerGaugeSources): void {
      sources = s;
    },
  };
});
