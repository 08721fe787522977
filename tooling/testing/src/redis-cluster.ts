import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitUntil } from './http-client.js';
import { freePort } from './processes.js';
import { startRedisProcess, withClient, type RedisProcess } from './redis-process.js';

const run = promisify(execFile);

export interface RedisClusterOptions {
  /** Master nodes (no replicas). Default 3, the fewest `redis-cli --cluster create` accepts. */
  masters?: number;
  /** requirepass of every node (the URL carries it). */
  password?: string;
}

export interface RedisClusterSet {
  /** REDIS_URL for Gantry: `redis-cluster://...` listing every node. */
  url: string;
  nodes: RedisProcess[];
  /** Kills every node and removes the directory. */
  close(): Promise<void>;
}

/**
 * Starts a Redis Cluster of `masters` nodes on 127.0.0.1 in a temp directory (each node's bus on
 * a port of its own, `cluster-port`), assigns the slots with `redis-cli --cluster create` and
 * returns once every node reports `cluster_state:ok` and knows all others. On failure everything
 * started is stopped again.
 */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisClusterSet> {
  const count = options.masters ?? 3;
  const dir = await mkdtemp(path.join(tmpdir(), 'gantry-cluster-'));
  const nodes: RedisProcess[] = [];
  const close = async () => {
    await Promise.all(nodes.map((n) => n.kill()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const auth = options.password ? [`requirepass "${options.password}"`, `masterauth "${options.password}"`] : [];
    for (let i = 0; i < count; i++) {
      const name = `node-${i}`;
      const config = [
        'cluster-enabled yes',
        `cluster-config-file ${path.join(dir, name, 'nodes.conf')}`,
        `cluster-port ${await freePort()}`,
        'cluster-node-timeout 2000',
        'save ""',
        'appendonly no',
        ...auth,
      ];
      nodes.push(await startRedisProcess({ name, parentDir: dir, port: await freePort(), config, password: options.password }));
    }
    // REDISCLI_AUTH rather than -a: the password stays out of the process list.
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      env: { ...process.env, ...(options.password ? { REDISCLI_AUTH: options.password } : {}) },
      timeout: 30_000,
    });
    for (const node of nodes) {
      await waitUntil(async () => {
        const info = await clusterInfo(node);
        return info.cluster_state === 'ok' && Number(info.cluster_known_nodes) === count ? true : undefined;
      }, 30_000);
    }
    const credentials = options.password ? `:${encodeURIComponent(options.password)}@` : '';
    return { url: `redis-cluster://${credentials}${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`, nodes, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** CLUSTER INFO as key → value. */
async function clusterInfo(node: RedisProcess): Promise<Record<string, string>> {
  const text = String(await withClient(node.connect, (c) => c.call('CLUSTER', 'INFO')));
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}
