import { Gauge, type Registry } from 'prom-client';
import { diskSpace } from './disk-space.js';
import { metricSet } from './registry.js';
import { ScrapeCache } from './scrape-cache.js';

/**
 * `gantry_artifact_disk_free_bytes` / `gantry_artifact_disk_total_bytes`: the filesystem of the
 * artifact store, measured at scrape time (statfs, cached 5 s). Both the API and the workers expose
 * them (they must see the same directory). A failed statfs keeps the last
 * values (both stay 0 until a first success, so the free/total ratio is undefined, never "full").
 */
export const artifactDiskMetrics = metricSet((registry: Registry) => {
  let dir: string | null = null;
  const cache = new ScrapeCache(() => diskSpace(dir ?? '.'), 5000);
  const free = new Gauge({
    name: 'gantry_artifact_disk_free_bytes',
    help: 'Bytes still writable on the filesystem of the artifact store (GANTRY_ARTIFACT_DIR).',
    registers: [registry],
    async collect() {
      if (dir === null) return;
      const space = await cache.get().catch(() => null);
      if (space) this.set(space.freeBytes);
    },
  });
  const total = new Gauge({
    name: 'gantry_artifact_disk_total_bytes',
    help: 'Size in bytes of the filesystem of the artifact store (GANTRY_ARTIFACT_DIR).',
    registers: [registry],
    async collect() {
      if (dir === null) return;
      const space = await cache.get().catch(() => null);
      if (space) this.set(space.totalBytes);
    },
  });
  return {
    free,
    total,
    /** Points the gauges at the artifact directory. */
    watch(artifactDir: string): void {
      dir = artifactDir;
    },
  };
});
