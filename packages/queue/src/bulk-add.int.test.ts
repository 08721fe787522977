import { Worker, type Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { QUEUE_NAMES, type RenderJobPayload } from '@gantry/domain';
import { redisTestPrefix, TEST_REDIS_URL } from '@gantry/testing';
import { addPrioritizedBulk, bulkAddPath } from './bulk-add';
import { createRenderQueue, renderEntryId, toBullPriority } from './render-queue';

const TENANT = '00000000-0000-7000-8000-000000000001';
const id = (n: number) => `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;

interface Entry {
  name: string;
  data: RenderJobPayload;
  opts: { jobId: string; priority: number };
}

/** Jobs of two tenants, three bands, ranks out of order, a duplicated id within the batch (its second add changes nothing). */
function entries(from: number, count: number): Entry[] {
  const list: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const n = from + i;
    list.push({ name: 'render', data: { jobId: id(n), tenantId: n % 3 === 0 ? id(999_001) : TENANT }, opts: { jobId: renderEntryId(id(n), n % 5 === 0 ? 1 : 0), priority: toBullPriority((n % 3) * 50 - 50, (n * 7) % 11) } });
  }
  list.push({ ...list[1]!, data: { ...list[1]!.data, tenantId: id(999_002) }, opts: { ...list[1]!.opts, priority: 1 } });
  return list;
}

/** Everything BullMQ keeps under a queue's prefix, timestamps left out (the two sides add at different times). */
async function stateOf(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const base = `${prefix}:${QUEUE_NAMES.render}:`;
  const keys = (await redis.keys(`${base}*`)).sort();
  const state: Record<string, unknown> = {};
  for (const key of keys) {
    const name = key.slice(base.length);
    const type = await redis.type(key);
    if (type === 'hash') {
      const hash = await redis.hgetall(key);
      delete hash['timestamp'];
      state[name] = hash;
    } else if (type === 'zset') state[name] = await redis.zrange(key, '0', '-1', 'WITHSCORES');
    else if (type === 'list') state[name] = await redis.lrange(key, 0, -1);
    else if (type === 'string') state[name] = await redis.get(key);
    else if (type === 'stream') state[name] = (await redis.xrange(key, '-', '+')).map(([, fields]) => fields);
    else state[name] = type;
  }
  return state;
}

/** The order in which a BullMQ worker (concurrency 1) takes the queue's jobs, with what it receives. */
async function drain(queue: Queue<RenderJobPayload>, prefix: string, count: number): Promise<unknown[]> {
  const seen: unknown[] = [];
  const connection = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const worker = new Worker<RenderJobPayload>(
    QUEUE_NAMES.render,
    async (job) => {
      seen.push({ id: job.id, data: job.data, priority: job.priority, attempts: job.opts.attempts });
      if (seen.length === count) done();
    },
    { connection, prefix, concurrency: 1, autorun: true },
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`worker took ${seen.length} of ${count} jobs`)), 20_000)))]);
  } finally {
    clearTimeout(timer);
    await worker.close();
    connection.disconnect();
  }
  expect(await queue.getPrioritizedCount()).toBe(0);
  return seen;
}

describe('addPrioritizedBulk (real Redis): BullMQ’s own add, one call', () => {
  const scope = redisTestPrefix();

  it('takes the one-script path on the installed BullMQ', async () => {
    const queue = createRenderQueue({ connection: scope.redis, prefix: scope.prefix });
    try {
      expect(await bulkAddPath(queue as Queue<unknown>)).toBe('script');
    } finally {
      await queue.close();
    }
  });

  it('leaves exactly what addBulk leaves, and workers take the jobs in the same order with the same data', async () => {
    const redis = scope.redis as Redis;
    const a = createRenderQueue({ connection: redis, prefix: `${scope.prefix}:a` });
    const b = createRenderQueue({ connection: redis, prefix: `${scope.prefix}:b` });
    try {
      const first = entries(1, 40);
      // A second batch repeats ids of the first (a replayed submit): BullMQ leaves those as they are.
      const second = [...entries(30, 20), first[3]!];
      for (const batch of [first, second]) {
        await a.addBulk(batch);
        await addPrioritizedBulk(b, batch);
      }
      const [stateA, stateB] = await Promise.all([stateOf(redis, `${scope.prefix}:a`), stateOf(redis, `${scope.prefix}:b`)]);
      expect(Object.keys(stateA).length).toBeGreaterThan(50);
      expect(stateB).toEqual(stateA);

      const unique = new Set([...first, ...second].map((e) => e.opts.jobId)).size;
      const [takenA, takenB] = [await drain(a, `${scope.prefix}:a`, unique), await drain(b, `${scope.prefix}:b`, unique)];
      expect(takenB).toEqual(takenA);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('splits a large batch into chunks and still adds every job once, in order', async () => {
    const queue = createRenderQueue({ connection: scope.redis, prefix: scope.prefix });
    try {
      const many = Array.from({ length: 1203 }, (_, i) => ({ name: 'render', data: { jobId: id(i + 1), tenantId: TENANT }, opts: { jobId: id(i + 1), priority: toBullPriority(0, i) } }));
      await addPrioritizedBulk(queue, many);
      expect(await queue.getPrioritizedCount()).toBe(1203);
      const firstTen = (await queue.getPrioritized(0, 9)).map((j) => j.id);
      expect(firstTen).toEqual(many.slice(0, 10).map((e) => e.opts.jobId));
    } finally {
      await queue.close();
    }
  });
});
