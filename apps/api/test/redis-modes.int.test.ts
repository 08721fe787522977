import { QUEUE_NAMES } from '@gantry/domain';
import { closeRedis, createRedis, isCluster } from '@gantry/queue';
import {
  apiClient,
  scanKeys,
  startRedisCluster,
  startRedisSentinel,
  startStack,
  StreamClient,
  waitForTerminalJobs,
  type TestStack,
} from '@gantry/testing';
import { defaultWorkflow } from './fixtures';

const terminal = (jobId: string) => (m: any) => m.type === 'event' && m.jobId === jobId && m.event.type === 'state' && ['succeeded', 'failed', 'canceled'].includes(m.event.status);

/**
 * The whole stack (API, worker, two gpu-sims) on Redis Sentinel and on Redis Cluster, each run by
 * real redis-server processes the test starts: jobs over HTTP, the WebSocket stream, the shared
 * rate limits, and where the keys end up.
 */
describe.each([
  ['Redis Sentinel (master, replica, three sentinels)', () => startRedisSentinel({ sentinels: 3 })],
  ['Redis Cluster (three masters)', () => startRedisCluster()],
])('a Gantry stack on %s', (_mode, startRedis) => {
  let servers: { url: string; close(): Promise<void> };
  let stack: TestStack;
  beforeAll(async () => {
    servers = await startRedis();
    stack = await startStack({ redisUrl: servers.url, gpus: 2 });
  });
  afterAll(async () => {
    await stack?.close();
    await servers?.close();
  });

  it('runs jobs submitted over HTTP and streams their events', async () => {
    const admin = apiClient(stack.url, stack.adminKey);
    const stream = await StreamClient.connect(stack.url, { key: stack.adminKey });
    try {
      await stream.next((m) => m.type === 'ready');
      stream.send({ type: 'subscribe', all: true });
      await stream.next((m) => m.type === 'subscribed');
      const ids = await Promise.all(
        Array.from({ length: 6 }, async (_, i) => {
          const res = await admin('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 4, seed: i, width: 64, height: 64 }) });
          expect(res.status).toBe(202);
          return res.body.id as string;
        }),
      );
      const ledger = await waitForTerminalJobs(stack.databaseUrl, ids, 60_000);
      expect(ids.map((id) => ledger.get(id)?.status)).toEqual(ids.map(() => 'succeeded'));
      for (const id of ids) {
        await stream.next(terminal(id), 10_000);
        const statuses = stream.events(id).map((e) => e.event.status).filter(Boolean);
        expect(statuses.slice(-3)).toEqual(['dispatched', 'running', 'succeeded']);
      }
    } finally {
      stream.close();
    }
  });

  it('rate limits submissions through the buckets shared by API instances', async () => {
    // Two buckets (key and submit) are charged by one script call: on a cluster their keys must share a slot.
    const limited = await stack.startApi({ GANTRY_RATE_LIMIT_PER_MINUTE: '100', GANTRY_SUBMIT_RATE_LIMIT_PER_MINUTE: '1' });
    const client = apiClient(limited.api.url, stack.adminKey);
    expect((await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width: 64, height: 64 }) })).status).toBe(202);
    const refused = await client('POST', '/api/v1/jobs', { workflow: defaultWorkflow({ steps: 1, width: 64, height: 64 }) });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: 'RATE_LIMITED', errors: { policy: 'submit' } });
  });

  // After the tests above, which put jobs, rate-limit buckets and health into Redis.
  it('keeps every key under the prefix, in one hash slot on a cluster', async () => {
    const redis = createRedis(stack.redisUrl);
    try {
      const keys = await scanKeys(redis, '*');
      expect(keys.filter((k) => !k.startsWith(`${stack.keyPrefix}:`))).toEqual([]);
      // BullMQ's queue, the rate-limit buckets and the fleet's health are all there.
      for (const part of [`:${QUEUE_NAMES.render}:`, ':ratelimit:', ':backend:']) expect({ part, found: keys.some((k) => k.includes(part)) }).toEqual({ part, found: true });
      if (isCluster(redis)) {
        expect(stack.keyPrefix).toBe(`{${stack.prefix}}`);
        const slots = new Set(await Promise.all(keys.map((k) => redis.cluster('KEYSLOT', k))));
        expect(slots.size).toBe(1);
      } else {
        expect(stack.keyPrefix).toBe(stack.prefix);
      }
    } finally {
      await closeRedis(redis);
    }
  });
});
