import { metricSet, ScrapeCache, scrapedGauges, type Registry } from '@gantry/metrics';
import type { ApiDeps } from '../context.js';
import { readPendingWork, type PendingWork } from './pending-work.js';

/** BullMQ states reported by `gantry_queue_jobs`. */
const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed'] as const;

interface QueueSnapshot {
  counts: Record<(typeof QUEUE_STATES)[number], number>;
  pending: PendingWork;
}

/**
 * The queue and the autoscaling signal, read at scrape time (BullMQ `getJobCounts` and one
 * PostgreSQL pass over the queued jobs) and cached for `cacheMs`, so scrapes from several
 * Prometheus servers never hammer Redis or the database. Every API instance reports the same
 * fleet-wide figures: aggregate them with max(), not sum().
 */
export const queueMetrics = metricSet((registry: Registry) => {
  let cache: ScrapeCache<QueueSnapshot> | null = null;
  const read = async (): Promise<QueueSnapshot | null> => (cache ? cache.get().catch(() => null) : null);
  const gauge = scrapedGauges(registry, read); // Redis or PostgreSQL unreachable: the last values stay

  gauge('gantry_queue_jobs', 'Render jobs in the BullMQ queue, by state (waiting, prioritized, active, delayed).', ['state'], (g, s) => {
    for (const state of QUEUE_STATES) g.set({ state }, s.counts[state]);
  });
  gauge('gantry_queue_pending_jobs', 'Jobs waiting for a GPU: BullMQ waiting + prioritized + delayed (retry backoff and hand-backs included).', [], (g, s) => {
    g.set(s.counts.waiting + s.counts.prioritized + s.counts.delayed);
  });
  gauge('gantry_queue_oldest_pending_age_seconds', 'Age (since submission) of the oldest job in status queued; 0 when none waits.', [], (g, s) => {
    g.set(s.pending.oldestAgeSeconds);
  });
  gauge('gantry_queue_pending_untagged_jobs', 'Queued jobs that require no backend tag (any GPU node can run them).', [], (g, s) => {
    g.set(s.pending.untagged.jobs);
  });
  gauge('gantry_queue_oldest_pending_untagged_age_seconds', 'Age of the oldest queued job that requires no backend tag; 0 when none waits.', [], (g, s) => {
    g.set(s.pending.untagged.oldestAgeSeconds);
  });
  gauge('gantry_queue_pending_jobs_by_tag', 'Queued jobs that require this backend tag (requirements.tags), for per-node-pool autoscaling.', ['tag'], (g, s) => {
    for (const t of s.pending.byTag) g.set({ tag: t.key }, t.jobs);
  });
  gauge('gantry_queue_oldest_pending_age_seconds_by_tag', 'Age of the oldest queued job that requires this backend tag.', ['tag'], (g, s) => {
    for (const t of s.pending.byTag) g.set({ tag: t.key }, t.oldestAgeSeconds);
  });
  gauge('gantry_queue_pending_jobs_by_model', 'Queued jobs by the checkpoint they load (among the oldest queued jobs; see docs/metrics.md).', ['model'], (g, s) => {
    for (const m of s.pending.byModel) g.set({ model: m.key }, m.jobs);
  });

  return {
    /** Starts reading from this API's queue and database. */
    watch(deps: Pick<ApiDeps, 'queue' | 'db'>, cacheMs: number): void {
      cache = new ScrapeCache(async () => {
        const [counts, pending] = await Promise.all([deps.queue.getJobCounts(...QUEUE_STATES), readPendingWork(deps.db)]);
        return { counts: Object.fromEntries(QUEUE_STATES.map((s) => [s, counts[s] ?? 0])) as QueueSnapshot['counts'], pending };
      }, cacheMs);
    },
  };
});
