import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Redis } from 'ioredis';
import '@gantry/fleet'; // declares the fleet's scripts (named below)
import { declaredScripts } from '@gantry/queue';
import { tcpLocalPorts } from './proc-io.js';
import { ROOT } from './sched-procs.js';

/** BullMQ's scripts by their SHA1 (what EVALSHA names), e.g. `bullmq:moveToActive`, and Gantry's (`gantry:gantryAcquireLease`). */
function knownScripts(): Map<string, string> {
  const byHash = new Map<string, string>();
  for (const [name, lua] of declaredScripts()) byHash.set(createHash('sha1').update(lua).digest('hex'), `gantry:${name}`);
  try {
    const scripts = createRequire(path.join(ROOT, 'package.json'))('bullmq/dist/cjs/scripts/index.js') as Record<string, { name: string; content: string }>;
    for (const s of Object.values(scripts)) byHash.set(createHash('sha1').update(s.content).digest('hex'), `bullmq:${s.name}`);
  } catch {
    // another layout: named by key instead
  }
  return byHash;
}

/**
 * Counts the Redis commands each of some processes sends, by name, with `MONITOR` (Redis 7.0 keeps
 * no per-connection command count): each monitored command is attributed to a process by its
 * client port (the process's open sockets, read at the end). Commands run inside scripts (`lua`)
 * are left out: a script is one command, one round trip. BullMQ's scripts are named
 * (`bullmq:moveToActive`), Gantry's by their declared name (`gantry:gantryAcquireLease`), others by their first key's last part (`evalsha:tenant-jobs`), and a
 * `PUBLISH` by its channel's (`publish:events`). MONITOR costs Redis CPU for every client on the server: use it for a short
 * counting segment, not for the timed ones.
 */
export class RedisCommandCount {
  private readonly seen = new Map<number, Map<string, number>>();
  private monitor: Redis | null = null;

  private constructor() {}

  static async start(redis: Redis): Promise<RedisCommandCount> {
    const count = new RedisCommandCount();
    const known = knownScripts();
    const monitor = await redis.monitor();
    monitor.on('monitor', (_time: string, args: string[], source: string) => {
      const port = Number(source.slice(source.lastIndexOf(':') + 1));
      if (!Number.isFinite(port)) return; // `lua`, unix sockets
      let name = String(args[0] ?? '').toLowerCase();
      const script = name === 'evalsha' ? known.get(String(args[1])) : undefined;
      if (script) name = script;
      else if ((name === 'evalsha' || name === 'eval') && Number(args[2]) > 0) name += `:${String(args[3] ?? '').split(':').pop()}`;
      else if (name === 'publish') name += `:${String(args[1] ?? '').split(':').pop()}`;
      const byName = count.seen.get(port) ?? new Map<string, number>();
      byName.set(name, (byName.get(name) ?? 0) + 1);
      count.seen.set(port, byName);
    });
    // Monitor lines still arriving as the connection closes reach ioredis as replies nobody waits
    // for ("Command queue state error"), emitted as an 'error': expected there, and harmless.
    monitor.on('error', () => undefined);
    count.monitor = monitor;
    return count;
  }

  /** Stops monitoring; per process name, its commands by name (only processes still running can be attributed). */
  async stop(procs: ReadonlyArray<{ name: string; pid: number | undefined }>): Promise<Record<string, Record<string, number>>> {
    const ports = procs.map((p) => ({ name: p.name, ports: tcpLocalPorts(p.pid) }));
    this.monitor?.disconnect();
    this.monitor = null;
    const out: Record<string, Record<string, number>> = {};
    for (const { name, ports: own } of ports) {
      const total: Record<string, number> = {};
      for (const port of own) {
        for (const [cmd, n] of this.seen.get(port) ?? []) total[cmd] = (total[cmd] ?? 0) + n;
      }
      out[name] = total;
    }
    return out;
  }
}

/** `{cmd: n}` per job, largest first, as `cmd n.n` text. */
export function perJobText(counts: Record<string, number>, jobs: number, limit = 12): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  const total = entries.reduce((a, [, n]) => a + n, 0);
  const head = entries.slice(0, limit).map(([cmd, n]) => `${cmd} ${(n / jobs).toFixed(2)}`);
  const rest = entries.length > limit ? `, other ${(entries.slice(limit).reduce((a, [, n]) => a + n, 0) / jobs).toFixed(2)}` : '';
  return `${(total / jobs).toFixed(1)} (${head.join(', ')}${rest})`;
}
