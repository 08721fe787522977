/**
 * A throwaway redis-server for one scenario: 127.0.0.1, a free port, its own temp directory, in
 * the foreground as this process's child. Restartable on the same port and directory, so the
 * persistence mode decides what survives:
 *   aof   `--appendonly yes --appendfsync everysec` (BullMQ's production advice: at most ~1 s lost)
 *   none  `--save "" --appendonly no` (a restart loses everything)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '@gantry/testing';
import { onCleanup, onExitKill } from './cleanup.js';
import { pollUntil } from './poll.js';

export type RedisPersistence = 'aof' | 'none';

export class RedisServer {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private unregisterKill: () => void = () => undefined;
  private undo: () => Promise<void> = async () => undefined;

  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly persistence: RedisPersistence,
  ) {}

  /** Starts one; it is stopped and its directory removed at cleanup (or by `stop()`). */
  static async start(persistence: RedisPersistence): Promise<RedisServer> {
    const dir = await mkdtemp(path.join(tmpdir(), 'gantry-chaos-redis-'));
    const server = new RedisServer(await freePort(), dir, persistence);
    server.undo = onCleanup(`redis :${server.port}`, async () => {
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    });
    await server.launch();
    return server;
  }

  /** Kills it and removes its directory (also done at cleanup). */
  stop(): Promise<void> {
    return this.undo();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** SIGKILL, as a crash: nothing is flushed beyond what the persistence mode already wrote. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** Starts it again on the same port and directory (after `kill()`). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** Closes every client connection (`CLIENT KILL TYPE normal|pubsub`); returns how many. */
  async killClients(): Promise<number> {
    return this.withClient(async (redis) => {
      let killed = 0;
      for (const type of ['normal', 'pubsub']) killed += Number(await redis.call('CLIENT', 'KILL', 'TYPE', type, 'SKIPME', 'yes'));
      return killed;
    });
  }

  /** Runs `fn` with a short-lived connection that fails fast instead of queueing while Redis is down. */
  async withClient<T>(fn: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    redis.on('error', () => undefined); // reported through the rejected call instead
    try {
      await redis.connect();
      return await fn(redis);
    } finally {
      redis.disconnect();
    }
  }

  private async launch(): Promise<void> {
    const persistence =
      this.persistence === 'aof' ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no'];
    const args = [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--daemonize', 'no',
      '--save', '', ...persistence, '--maxmemory-policy', 'noeviction',
      '--logfile', path.join(this.dir, 'redis.log'),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = null;
        resolve();
      });
      child.once('error', (err) => {
        console.error(`[chaos] redis-server: ${err.message} (is redis-server installed?)`);
        if (this.child === child) this.child = null;
        resolve();
      });
    });
    this.unregisterKill();
    this.unregisterKill = onExitKill(() => child.kill('SIGKILL'));
    await pollUntil(`redis-server on :${this.port} answers PING`, 15_000, 50, async () => {
      if (!this.child) throw new Error(`redis-server exited at start (see ${path.join(this.dir, 'redis.log')})`);
      return (await this.withClient((r) => r.ping()).catch(() => undefined)) === 'PONG' ? true : undefined;
    });
  }
}
