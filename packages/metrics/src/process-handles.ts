import { opendir } from 'node:fs/promises';
import { Gauge, type Registry } from 'prom-client';
import { ScrapeCache } from './scrape-cache.js';

/**
 * The process metrics whose cost grows with open connections, collected without holding the event
 * loop for long. prom-client's own versions read `/proc/self/fd` with one synchronous `readdir`
 * and list every handle and resource on every scrape: with 10,000 sockets (an API serving 5000
 * WebSocket subscribers) one scrape held the loop 30-80 ms, most of it the fd listing.
 */

/** Directory entries per read: one batch's names are the longest stretch of work on the loop. */
const FD_BATCH = 512;

/** How long a handle count is reused: listing 10,000 handles takes ~10 ms of the loop. */
export const HANDLES_TTL_MS = 30_000;

/** The metrics of prom-client's defaults that `registerProcessHandleMetrics` replaces or leaves out. */
export const SCALING_DEFAULTS = ['process_open_fds', 'nodejs_active_handles', 'nodejs_active_resources'];

/** The entries of directory `dir`, read in batches off the loop; null when it cannot be read. */
export async function countEntries(dir: string): Promise<number | null> {
  let entries = 0;
  try {
    for await (const _entry of await opendir(dir, { bufferSize: FD_BATCH })) entries += 1;
  } catch {
    return null;
  }
  return entries;
}

/** Open file descriptors (null where `/proc/self/fd` cannot be read, e.g. not Linux), the count's own directory handle left out. */
export async function countOpenFds(): Promise<number | null> {
  const entries = await countEntries('/proc/self/fd');
  return entries === null ? null : Math.max(0, entries - 1);
}

/** Active libuv handles by type (their class name), as prom-client's `nodejs_active_handles` counts them. */
export function countHandlesByType(handles: readonly unknown[] = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles()): Map<string, number> {
  const byType = new Map<string, number>();
  for (const handle of handles) {
    const type = (handle as { constructor?: { name?: string } } | null)?.constructor?.name;
    if (type) byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  return byType;
}

/**
 * Registers `<prefix>process_open_fds` (Linux only, as prom-client's: counted asynchronously, in batches) and
 * `<prefix>nodejs_active_handles{type}` (listed at most every HANDLES_TTL_MS). prom-client's
 * `nodejs_active_resources{type}` is not registered: it lists the same handles plus requests and
 * timers, at the same cost.
 */
export function registerProcessHandleMetrics(registry: Registry, prefix: string, now: () => number = Date.now): void {
  if (process.platform === 'linux') {
    // Concurrent scrapes share one count (each open directory would show in the other's).
    const fds = new ScrapeCache(countOpenFds, 0, now);
    new Gauge({
      name: `${prefix}process_open_fds`,
      help: 'Number of open file descriptors.',
      registers: [registry],
      async collect() {
        const open = await fds.get();
        if (open !== null) this.set(open);
      },
    });
  }
  const handles = new ScrapeCache(async () => countHandlesByType(), HANDLES_TTL_MS, now);
  new Gauge({
    name: `${prefix}nodejs_active_handles`,
    help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      const byType = await handles.get();
      this.reset();
      for (const [type, count] of byType) this.set({ type }, count);
    },
  });
}
