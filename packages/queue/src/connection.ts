import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisTarget, type RedisTarget } from '@gantry/domain';
import { watchSentinelMaster, type SentinelWatchTarget } from './sentinel-watch.js';

/** A connection to the configured Redis: one server or a Sentinel master (Redis), or a Cluster. */
export type RedisClient = Redis | Cluster;

/** Per-connection settings that mean the same in every mode. */
export interface RedisConnectionOptions {
  /** Default null: BullMQ's blocking commands and subscribers must not be cut off by retries. */
  maxRetriesPerRequest?: number | null;
  /** Connect on the first command instead of at once. */
  lazyConnect?: boolean;
  /** Queue commands while disconnected (default true); false makes them fail at once. */
  enableOfflineQueue?: boolean;
  /**
   * Connection errors (refused, reset, a failover in progress): the connection retries by itself,
   * commands report their own failures. Every connection gets a listener, this one or a silent
   * one, because an 'error' event nobody listens to would be printed or, on emitters that
   * forward it, crash the process.
   */
  onError?: (err: Error) => void;
  /**
   * Fail a command ("Command timed out") that got no reply within this many ms, waiting while
   * disconnected included. Unset: wait for ever (BullMQ's workers and subscribers need that).
   */
  commandTimeout?: number;
}

/**
 * The only place Gantry opens Redis connections: REDIS_URL (see @gantry/domain redis-target.ts)
 * becomes a standalone, Sentinel or Cluster ioredis client with the options BullMQ needs.
 */
export function createRedis(url: string, { onError, ...options }: RedisConnectionOptions = {}): RedisClient {
  const client = open(parseRedisTarget(url), options);
  client.on('error', onError ?? (() => undefined));
  return client;
}

function open(target: RedisTarget, options: Omit<RedisConnectionOptions, 'onError'>): RedisClient {
  switch (target.mode) {
    case 'standalone':
      return new Redis(target.url, nodeOptions(options));
    case 'sentinel':
      return new SentinelRedis(sentinelOptions(target, options), target);
    case 'cluster':
      return new Cluster(target.nodes, clusterOptions(target, options));
  }
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

function nodeOptions(options: RedisConnectionOptions): RedisOptions {
  return { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false, ...options };
}

/**
 * A Sentinel master. ioredis asks the sentinels for the master on every (re)connect (retrying
 * for as long as none answers) and checks its role: a node that is not master is dropped and the
 * sentinels asked again. A failover must be followed at once, because the old master keeps
 * accepting writes for seconds after it (until Sentinel demotes it) and whatever lands there is
 * lost; the process's SentinelWatch (sentinel-watch.ts) does that, not ioredis' own
 * `failoverDetector`, which can end a reconnecting connection for good. A write that still reaches
 * a demoted master fails with READONLY; reconnecting (to the new master, through the sentinels)
 * and resending it is safe because it was not executed.
 */
function sentinelOptions(target: Extract<RedisTarget, { mode: 'sentinel' }>, options: RedisConnectionOptions): Omit<RedisOptions, 'replyMapping'> {
  return {
    ...nodeOptions(options),
    sentinels: target.sentinels,
    name: target.masterName,
    db: target.db,
    username: target.username,
    password: target.password,
    sentinelUsername: target.sentinelUsername,
    sentinelPassword: target.sentinelPassword,
    failoverDetector: false,
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/**
 * A Sentinel-managed connection that the process's SentinelWatch follows until it ends. BullMQ
 * duplicates connections (a worker's blocking connection, QueueEvents), so duplicate() keeps the
 * class and the watch.
 */
class SentinelRedis extends Redis {
  constructor(
    options: Omit<RedisOptions, 'replyMapping'>,
    private readonly watchTarget: SentinelWatchTarget,
  ) {
    super(options);
    watchSentinelMaster(watchTarget, this);
  }

  override duplicate(override?: Partial<RedisOptions>): Redis {
    return new SentinelRedis({ ...this.options, ...override }, this.watchTarget);
  }
}

/**
 * A cluster from its seed nodes (the rest is discovered; no natMap, so nodes must announce
 * addresses clients can reach). While a master fails over, commands get CLUSTERDOWN, TRYAGAIN or
 * connection errors: they are retried every 250 ms, and `maxRedirections` is sized so that the
 * retries outlast Redis' default cluster-node-timeout (15 s) instead of failing mid-failover.
 */
function clusterOptions(target: Extract<RedisTarget, { mode: 'cluster' }>, options: RedisConnectionOptions): ClusterOptions {
  const { enableOfflineQueue, lazyConnect, ...perNode } = options;
  return {
    redisOptions: { maxRetriesPerRequest: null, username: target.username, password: target.password, ...perNode },
    enableOfflineQueue: enableOfflineQueue ?? true,
    lazyConnect: lazyConnect ?? false,
    enableReadyCheck: true,
    retryDelayOnFailover: 250,
    retryDelayOnClusterDown: 250,
    retryDelayOnTryAgain: 250,
    maxRedirections: 80,
  };
}

/**
 * Closes a connection: QUIT when it is ready (pending replies arrive first), else a plain
 * disconnect. A QUIT sent while the connection is (re)connecting would wait in the offline queue
 * for a server that may never come back (a Sentinel set that is gone), and keep reconnecting.
 */
export async function closeRedis(redis: RedisClient): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}

/** A Redis round trip with a deadline, for health checks. */
export async function pingRedis(redis: RedisClient, timeoutMs = 1000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((r) => r === 'PONG'), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * An `onError` that logs a connection's errors as warnings, naming the connection. While Redis
 * restarts or fails over every reconnect attempt fails, so repeats of one message within a
 * minute are counted and not logged again.
 */
export function logRedisErrors(log: { warn(obj: object, msg: string): void }, connection: string, now: () => number = Date.now): (err: Error) => void {
  let last = '';
  let lastAt = -Infinity;
  let repeats = 0;
  return (err) => {
    if (err.message === last && now() - lastAt < 60_000) {
      repeats += 1;
      return;
    }
    log.warn({ err, connection, ...(repeats > 0 ? { repeatsOfPrevious: repeats } : {}) }, 'redis connection error; it reconnects by itself');
    last = err.message;
    lastAt = now();
    repeats = 0;
  };
}

/**
 * Holds back the connection's socket writes until the event loop's next turn, so the commands
 * issued in this turn (the caller's, and those of anything else running in it) leave in one write
 * instead of one each: fewer system calls for the writer, one wake-up for Redis. Nothing else
 * changes: the commands and their order are the same, each still gets its own reply. A connection
 * that is not ready (its commands wait in the offline queue) or a cluster is left alone. (ioredis'
 * auto-pipelining would do this for every command, but breaks defined scripts.)
 */
export function coalesceWrites(client: unknown): void {
  if (!(client instanceof Redis) || client.status !== 'ready') return;
  const stream = client.stream;
  if (!stream.writable) return;
  stream.cork();
  setImmediate(() => stream.uncork());
}
