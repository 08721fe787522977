import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, startRedisSentinel, waitUntil, withClient, type RedisClusterSet, type RedisSentinelSet } from '@gantry/testing';
import { closeRedis, createRedis, isCluster, type RedisClient } from './connection';
import { EventPublisher, subscribeChannel } from './event-bus';
import { watchedConnections } from './sentinel-watch';

/** The bounds of the waits below still running: a test that failed first must not leave them to fire in a later suite. */
const pendingTimers = new Set<NodeJS.Timeout>();
afterEach(() => {
  for (const timer of pendingTimers) clearTimeout(timer);
  pendingTimers.clear();
});

/** Resolves with the first message on `channel`, bounded in time. */
function nextMessage(subscriber: RedisClient, channel: string, timeoutMs = 45_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      pendingTimers.delete(timer);
      reject(new Error(`no message on ${channel} within ${timeoutMs} ms`));
    }, timeoutMs);
    pendingTimers.add(timer);
    void subscribeChannel(subscriber, channel, (message) => {
      clearTimeout(timer);
      pendingTimers.delete(timer);
      resolve(message);
    });
  });
}

describe('createRedis on Redis Sentinel (passwords on data nodes and sentinels)', () => {
  let set: RedisSentinelSet;
  const clients: RedisClient[] = [];
  const open = (url: string) => {
    const client = createRedis(url);
    clients.push(client);
    return client;
  };
  beforeAll(async () => {
    set = await startRedisSentinel({ password: 'data-pw', sentinelPassword: 'sentinel-pw' });
  });
  afterAll(async () => {
    await Promise.all(clients.map(closeRedis));
    await set?.close();
  });

  it('connects to the master the sentinels name, with its password', async () => {
    const redis = open(set.url);
    expect(redis).toBeInstanceOf(Redis);
    await redis.set('greeting', 'hello');
    const master = await set.master();
    expect(master).toBe(set.nodes[0]);
    expect(await withClient(master.connect, (c) => c.get('greeting'))).toBe('hello');
  });

  it('follows a failover: the same connections write to the new master and keep their subscriptions', async () => {
    const redis = open(set.url);
    const subscriber = open(set.url);
    await redis.set('before', '1');
    // The subscription is in place before the failover, to show that it is renewed after it.
    const subscribed = nextMessage(subscriber, 'test:cancel');
    await waitForSubscribers(redis, 'test:cancel');

    const { from, to } = await set.failover();
    expect(to).not.toBe(from);
    // The connection follows +switch-master by itself (the old master would still take writes).
    await waitUntil(async () => ((await servingPort(redis)) === to.port ? true : undefined), 10_000);
    await redis.set('after', '2');
    expect(await withClient(to.connect, (c) => c.mget('before', 'after'))).toEqual(['1', '2']);

    await waitForSubscribers(redis, 'test:cancel');
    await new EventPublisher(redis, 'test').publishCancel('job-1');
    expect(await subscribed).toBe('job-1');
  });
});

/**
 * Its own Sentinel set: the other tests' connections (and their reconnections after the failover)
 * would change the sentinels' subscriber count this test reads.
 */
describe('createRedis on Redis Sentinel: closing', () => {
  let set: RedisSentinelSet;
  beforeAll(async () => {
    set = await startRedisSentinel({ password: 'data-pw', sentinelPassword: 'sentinel-pw' });
  });
  afterAll(async () => {
    await set?.close();
  });

  it('watches the sentinels once per process, also for duplicates that BullMQ quits, and stops when the last connection ends', async () => {
    const sentinel = set.sentinels[0]!;
    const subscribers = async () =>
      String(await withClient(sentinel.connect, (c) => c.call('CLIENT', 'LIST')))
        .split('\n')
        .filter((line) => / sub=[1-9]/.test(line)).length;
    const before = await subscribers();
    const redis = createRedis(set.url) as Redis;
    const copy = redis.duplicate();
    await Promise.all([redis.ping(), copy.ping()]);
    // Counted for this set's sentinels only: an earlier test's connection may still be ending.
    expect(watchedConnections(sentinel.port)).toBe(2);
    // One +switch-master subscription for both connections.
    await waitUntil(async () => ((await subscribers()) === before + 1 ? true : undefined), 30_000);
    await closeRedis(redis);
    expect(await subscribers()).toBe(before + 1);
    await copy.quit();
    await waitUntil(async () => (watchedConnections(sentinel.port) === 0 ? true : undefined), 10_000);
    await waitUntil(async () => ((await subscribers()) === before ? true : undefined), 30_000);
  });
});

/**
 * The master SIGKILLed under connections that are busy: they reconnect in a loop (the sentinels
 * name the dead master until they agree on a failover), and the +switch-master must not end any
 * of them for good (what ioredis' failoverDetector did to a connection asking the sentinels).
 */
describe('createRedis on Redis Sentinel: the master killed', () => {
  let set: RedisSentinelSet;
  const clients: RedisClient[] = [];
  beforeAll(async () => {
    set = await startRedisSentinel({ sentinels: 3 });
  });
  afterAll(async () => {
    await Promise.all(clients.map(closeRedis));
    await set?.close();
  });

  it('moves every connection to the promoted replica; none ends', async () => {
    for (let i = 0; i < 6; i++) clients.push(createRedis(set.url));
    await Promise.all(clients.map((c, i) => c.set(`k${i}`, 'before')));
    const ended: number[] = [];
    clients.forEach((c, i) => c.once('end', () => ended.push(i)));
    const old = await set.master();
    await old.kill();
    // Writes issued while the master is gone wait in the offline queue and land on the new master.
    const writes = Promise.all(clients.map((c, i) => c.set(`k${i}`, 'after')));
    const promoted = await set.waitForNewMaster(old, 45_000);
    await writes;
    for (const c of clients) await waitUntil(async () => ((await servingPort(c)) === promoted.port ? true : undefined), 20_000);
    expect(ended).toEqual([]);
    expect(clients.map((c) => c.status)).toEqual(clients.map(() => 'ready'));
    expect(await withClient(promoted.connect, (c) => c.mget(clients.map((_, i) => `k${i}`)))).toEqual(clients.map(() => 'after'));
  });
});

describe('createRedis on Redis Cluster (password)', () => {
  let set: RedisClusterSet;
  let redis: RedisClient;
  beforeAll(async () => {
    set = await startRedisCluster({ password: 'cluster-pw' });
    redis = createRedis(set.url);
  });
  afterAll(async () => {
    if (redis) await closeRedis(redis);
    await set?.close();
  });

  it('is a Cluster that reaches every node and routes keys', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect(isCluster(redis)).toBe(true);
    const keys = Array.from({ length: 30 }, (_, i) => `spread:${i}`);
    await Promise.all(keys.map((k, i) => redis.set(k, String(i))));
    expect(await Promise.all(keys.map((k) => redis.get(k)))).toEqual(keys.map((_, i) => String(i)));
    // Thirty unrelated keys land on more than one master.
    const perNode = await Promise.all(set.nodes.map((n) => withClient(n.connect, (c) => c.dbsize())));
    expect(perNode.filter((n) => n > 0).length).toBeGreaterThan(1);
  });

  it('runs a multi-key script when the keys share a hash tag, and refuses it otherwise', async () => {
    const script = "redis.call('SET', KEYS[1], ARGV[1]); redis.call('SET', KEYS[2], ARGV[1]); return 1";
    expect(await redis.eval(script, 2, '{gantry}:a', '{gantry}:b', 'x')).toBe(1);
    await expect(redis.eval(script, 2, 'gantry:a', 'gantry:b', 'x')).rejects.toThrow(/CROSSSLOT/);
  });

  it('delivers pub/sub between connections on different nodes', async () => {
    const subscriber = createRedis(set.url);
    try {
      const received = nextMessage(subscriber, '{gantry}:cancel');
      await waitForSubscribers(redis, '{gantry}:cancel');
      await new EventPublisher(redis, '{gantry}').publishCancel('job-2');
      expect(await received).toBe('job-2');
    } finally {
      await closeRedis(subscriber);
    }
  });
});

/** The port of the server a (non-cluster) connection talks to. */
async function servingPort(redis: RedisClient): Promise<number> {
  return Number(/tcp_port:(\d+)/.exec(await redis.info('server'))?.[1]);
}

/** Waits until some connection is subscribed to `channel` (PUBSUB NUMSUB, on any node). */
async function waitForSubscribers(redis: RedisClient, channel: string, timeoutMs = 10_000): Promise<void> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await Promise.all(nodes.map(async (n) => Number(((await n.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1])));
    if (counts.some((c) => c > 0)) return;
    if (Date.now() > deadline) throw new Error(`nobody subscribed to ${channel} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
