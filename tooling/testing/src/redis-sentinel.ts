import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { waitUntil } from './http-client.js';
import { freePort } from './processes.js';
import { startRedisProcess, withClient, type RedisProcess } from './redis-process.js';

export interface RedisSentinelOptions {
  /** Sentinels to run: 1 (quorum 1) or 3 (quorum 2). Default 1. */
  sentinels?: 1 | 3;
  /** requirepass of master and replica (the URL carries it). */
  password?: string;
  /** requirepass of the sentinels (the URL's `sentinelPassword`). */
  sentinelPassword?: string;
  /** Default `gantry-test`. */
  masterName?: string;
}

/** A master, one replica and its sentinels, all on 127.0.0.1. */
export interface RedisSentinelSet {
  /** REDIS_URL for Gantry: `redis-sentinel://...`. */
  url: string;
  masterName: string;
  /** The data nodes; the first one starts as master. */
  nodes: RedisProcess[];
  sentinels: RedisProcess[];
  /** The data node the (first live) sentinel names as master. */
  master(): Promise<RedisProcess>;
  /**
   * Waits until the sentinels name a master other than `previous` and that node reports
   * `role:master` (after SENTINEL FAILOVER, or after the master was killed).
   */
  waitForNewMaster(previous: RedisProcess, timeoutMs?: number): Promise<RedisProcess>;
  /**
   * Waits until the node that is not master replicates it (link up) and every sentinel lists it
   * as a healthy replica: until then a failover has no replica to promote.
   */
  waitForReplica(timeoutMs?: number): Promise<void>;
  /**
   * Planned failover: waits until the replica holds every write the master took before the call
   * (replication is asynchronous: a failover at once may drop the last writes), then SENTINEL
   * FAILOVER, then waitForNewMaster.
   */
  failover(timeoutMs?: number): Promise<{ from: RedisProcess; to: RedisProcess }>;
  /** Kills every process and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts a master, a replica and 1 or 3 sentinels in a temp directory, and returns once the
 * replica is in sync and every sentinel knows the replica (and the other sentinels), so a
 * failover can start at once. On failure everything started is stopped again.
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelSet> {
  const masterName = options.masterName ?? 'gantry-test';
  const count = options.sentinels ?? 1;
  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-sentinel-'));
  const started: RedisProcess[] = [];
  const close = async () => {
    await Promise.all(started.map((p) => p.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const auth = options.password ? [`requirepass "${options.password}"`, `masterauth "${options.password}"`] : [];
    const data = ['save ""', 'appendonly no', ...auth];
    const master = await startRedisProcess({ name: 'node-a', parentDir: dir, port: await freePort(), config: data, password: options.password });
    started.push(master);
    const replica = await startRedisProcess({
      name: 'node-b',
      parentDir: dir,
      port: await freePort(),
      config: [...data, `replicaof 127.0.0.1 ${master.port}`],
      password: options.password,
    });
    started.push(replica);
    await waitUntil(async () => ((await replica.info('replication')).master_link_status === 'up' ? true : undefined), 15_000);

    const sentinelConfig = [
      `sentinel monitor ${masterName} 127.0.0.1 ${master.port} ${Math.floor(count / 2) + 1}`,
      // A killed master is noticed after 1 s (a planned failover does not wait for it).
      `sentinel down-after-milliseconds ${masterName} 1000`,
      `sentinel failover-timeout ${masterName} 10000`,
      ...(options.password ? [`sentinel auth-pass ${masterName} "${options.password}"`] : []),
      ...(options.sentinelPassword ? [`requirepass "${options.sentinelPassword}"`, `sentinel sentinel-pass "${options.sentinelPassword}"`] : []),
    ];
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const sentinel = await startRedisProcess({ name: `sentinel-${i}`, parentDir: dir, port, config: sentinelConfig, sentinel: true, password: options.sentinelPassword });
      started.push(sentinel);
      sentinels.push(sentinel);
    }
    const nodes = [master, replica];
    const ask = (sentinel: RedisProcess, ...args: string[]) => withClient(sentinel.connect, (c) => c.call('SENTINEL', ...args));
    const replicaKnown = async (node: RedisProcess, timeoutMs: number) => {
      for (const sentinel of sentinels) {
        await waitUntil(async () => {
          const replicas = (await ask(sentinel, 'REPLICAS', masterName)) as string[][];
          const known = replicas.map(fields).some((r) => r.port === String(node.port) && r.flags === 'slave' && r['master-link-status'] === 'ok');
          const others = Number(fields((await ask(sentinel, 'MASTER', masterName)) as string[])['num-other-sentinels']);
          return known && others === count - 1 ? true : undefined;
        }, timeoutMs);
      }
    };
    await replicaKnown(replica, 30_000);

    const liveSentinel = async () => {
      for (const s of sentinels) if (await withClient(s.connect, (c) => c.ping()).catch(() => null)) return s;
      throw new Error('no sentinel answers');
    };
    const named = async () => {
      const [, port] = (await ask(await liveSentinel(), 'GET-MASTER-ADDR-BY-NAME', masterName)) as [string, string];
      const node = nodes.find((n) => String(n.port) === port);
      if (!node) throw new Error(`the sentinels name an unknown master on port ${port}`);
      return node;
    };
    const waitForNewMaster = (previous: RedisProcess, timeoutMs = 30_000) =>
      waitUntil(async () => {
        const node = await named();
        if (node === previous) return undefined;
        return (await node.info('replication').catch(() => ({}) as Record<string, string>)).role === 'master' ? node : undefined;
      }, timeoutMs);

    const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : '';
    const query = options.sentinelPassword ? `?sentinelPassword=${encodeURIComponent(options.sentinelPassword)}` : '';
    return {
      url: `redis-sentinel://${credentials}${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${masterName}${query}`,
      masterName,
      nodes,
      sentinels,
      master: named,
      waitForNewMaster,
      waitForReplica: async (timeoutMs = 60_000) => {
        const master = await named();
        const other = nodes.find((n) => n !== master)!;
        await waitUntil(async () => ((await other.info('replication').catch(() => ({}) as Record<string, string>)).master_link_status === 'up' ? true : undefined), timeoutMs);
        await replicaKnown(other, timeoutMs);
      },
      failover: async (timeoutMs = 30_000) => {
        const from = await named();
        const replica = nodes.find((n) => n !== from)!;
        const written = Number((await from.info('replication')).master_repl_offset);
        await waitUntil(async () => (Number((await replica.info('replication')).slave_repl_offset) >= written ? true : undefined), timeoutMs);
        await ask(await liveSentinel(), 'FAILOVER', masterName);
        return { from, to: await waitForNewMaster(from, timeoutMs) };
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A flat [key, value, key, value...] reply as an object. */
function fields(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
  return out;
}
