// Preloaded (`node --import`) into every process the WebSocket benchmark starts; not part of Gantry.
// Over the IPC channel the bench asks for memory figures (after a forced GC when the process runs
// with --expose-gc), event-loop delay (the whole histogram) and garbage-collection pauses. When the
// bench dies without cleaning up, the channel closes and this process stops itself, so no orphan
// keeps ports, Redis or the database busy.
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** GC pauses since the last reset: count, total, longest, and how many passed 10 / 25 / 50 ms, by kind. */
class GcPauses {
  constructor() {
    this.reset();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) this.add(entry.duration, entry.detail?.kind ?? entry.kind);
    });
    observer.observe({ entryTypes: ['gc'] });
  }

  reset() {
    this.count = 0;
    this.totalMs = 0;
    this.maxMs = 0;
    this.maxKind = null;
    this.over = { 10: 0, 25: 0, 50: 0 };
    this.byKind = {};
  }

  add(ms, kind) {
    const name = GC_KINDS[kind] ?? String(kind);
    this.count += 1;
    this.totalMs += ms;
    const k = (this.byKind[name] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count += 1;
    k.totalMs += ms;
    k.maxMs = Math.max(k.maxMs, ms);
    if (ms > this.maxMs) {
      this.maxMs = ms;
      this.maxKind = name;
    }
    for (const t of [10, 25, 50]) if (ms > t) this.over[t] += 1;
  }

  summary() {
    const r = (v) => Math.round(v * 100) / 100;
    return {
      count: this.count,
      totalMs: r(this.totalMs),
      maxMs: r(this.maxMs),
      maxKind: this.maxKind,
      over10: this.over[10],
      over25: this.over[25],
      over50: this.over[50],
      byKind: Object.fromEntries(Object.entries(this.byKind).map(([k, v]) => [k, { count: v.count, totalMs: r(v.totalMs), maxMs: r(v.maxMs) }])),
    };
  }
}

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

if (typeof process.send === 'function') {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const gc = new GcPauses();
  const reply = (id, body) => process.send?.({ benchProbe: true, id, ...body });

  process.on('message', (msg) => {
    if (!msg || typeof msg !== 'object' || msg.benchProbe !== true) return;
    if (msg.op === 'mem') {
      if (msg.gc && typeof globalThis.gc === 'function') {
        globalThis.gc();
        globalThis.gc();
      }
      reply(msg.id, { mem: process.memoryUsage() });
    } else if (msg.op === 'loop-reset') {
      loop.reset();
      gc.reset();
      reply(msg.id, {});
    } else if (msg.op === 'loop') {
      const ms = (ns) => Math.round(ns / 1e4) / 100;
      reply(msg.id, {
        loop: {
          // Samples: one per 5 ms timer that fired (a long block is one sample of its whole delay).
          count: loop.count,
          p50: ms(loop.percentile(50)),
          p90: ms(loop.percentile(90)),
          p99: ms(loop.percentile(99)),
          p999: ms(loop.percentile(99.9)),
          max: ms(loop.max),
          mean: ms(loop.mean),
          // How many timer turns came more than 10 / 25 / 50 ms late (from the histogram's percentiles).
          over10: lateCount(loop, 10),
          over25: lateCount(loop, 25),
          over50: lateCount(loop, 50),
        },
        gc: gc.summary(),
      });
    }
  });
  // The channel must not keep a process alive that would otherwise exit.
  process.channel?.unref();

  process.on('disconnect', () => {
    // The bench is gone: stop gracefully, and for sure a little later.
    setTimeout(() => process.exit(1), 8000).unref();
    process.kill(process.pid, 'SIGTERM');
  });
}

/**
 * Samples of the event-loop delay histogram above `thresholdMs` (the delay is measured over the
 * 5 ms resolution: a sample of 60 ms means the loop was blocked about 55 ms past its timer).
 */
function lateCount(h, thresholdMs) {
  if (h.count === 0 || h.max < thresholdMs * 1e6) return 0;
  // percentiles: cumulative percentile -> value (ns), ascending; find the share at or below the threshold.
  let below = 0;
  for (const [p, v] of h.percentiles) if (v <= thresholdMs * 1e6) below = p;
  return Math.round(((100 - below) / 100) * h.count);
}
