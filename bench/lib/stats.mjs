// Small measurement helpers for the WebSocket benchmark: a 1 ms histogram, process figures read
// from /proc, and table formatting.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/** Latencies in whole milliseconds, exact percentiles at 1 ms resolution, bounded memory. */
export class Histogram {
  constructor(maxMs = 600_000) {
    this.buckets = new Uint32Array(maxMs + 1);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
    this.negative = 0;
  }

  add(ms) {
    if (ms < 0) {
      this.negative += 1;
      ms = 0;
    }
    const b = Math.min(Math.round(ms), this.buckets.length - 1);
    this.buckets[b] += 1;
    this.count += 1;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  merge(other) {
    for (let i = 0; i < other.buckets.length; i++) this.buckets[i] += other.buckets[i];
    this.count += other.count;
    this.sum += other.sum;
    this.max = Math.max(this.max, other.max);
    this.negative += other.negative;
    return this;
  }

  percentile(p) {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i];
      if (seen >= rank) return i;
    }
    return this.buckets.length - 1;
  }

  summary() {
    if (this.count === 0) return { count: 0, p50: null, p95: null, p99: null, max: null, mean: null };
    return {
      count: this.count,
      p50: this.percentile(50),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: Math.round(this.max),
      mean: Math.round((this.sum / this.count) * 10) / 10,
    };
  }
}

/** VmRSS and VmHWM (peak) of a process, in bytes; null when it is gone. */
export function procMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU time (user + system) a process used so far, in ms (Linux clock ticks are 100 Hz). */
export function procCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

/** Run-queue wait of the main thread only (the event loop), ms. */
export function mainThreadWaitMs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/)[1]) / 1e6;
  } catch {
    return NaN;
  }
}

/** Open socket descriptors of a process (TCP connections, listeners, Redis, PostgreSQL...). */
export function procSocketCount(pid) {
  try {
    let n = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n += 1;
      } catch {
        // closed meanwhile
      }
    }
    return n;
  } catch {
    return NaN;
  }
}

export const mib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(1)} MiB` : 'n/a');
export const kib = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'n/a');
export const ms = (v) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : `${v} ms`);

/** Two-column table with a title; rows are [label, value] or a string (a section line). */
export function table(title, rows) {
  const width = Math.max(...rows.filter(Array.isArray).map(([l]) => l.length));
  const lines = [title, '-'.repeat(Math.max(title.length, 60))];
  for (const row of rows) {
    if (typeof row === 'string') lines.push(row);
    else lines.push(`  ${row[0].padEnd(width)}  ${row[1]}`);
  }
  return lines.join('\n');
}
