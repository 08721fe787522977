import type { Socket } from 'node:net';
import { Redis } from 'ioredis';
import { redisTestPrefix } from '@gantry/testing';
import { coalesceWrites } from './connection';
import { createRenderQueue, enqueueRender } from './render-queue';

/** Counts the socket writes of `redis` (each `_write`/`_writev` is one system call's worth). */
function countWrites(redis: Redis): { count: () => number; restore: () => void } {
  const stream = redis.stream as Socket & { _write: (...a: unknown[]) => void; _writev: (...a: unknown[]) => void };
  const write = stream._write;
  const writev = stream._writev;
  let n = 0;
  stream._write = function (this: Socket, ...a: unknown[]) {
    n++;
    return write.apply(this, a);
  };
  stream._writev = function (this: Socket, ...a: unknown[]) {
    n++;
    return writev.apply(this, a);
  };
  return {
    count: () => n,
    restore: () => {
      stream._write = write;
      stream._writev = writev;
    },
  };
}

describe('coalesceWrites (real Redis)', () => {
  const scope = redisTestPrefix();

  it('sends the commands of one turn in one write, each with its own reply, in order', async () => {
    const redis = scope.redis as Redis;
    const queue = createRenderQueue({ connection: redis, prefix: scope.prefix });
    try {
      const tenantId = '00000000-0000-7000-8000-000000000001';
      await enqueueRender(queue, { jobId: '00000000-0000-7000-8000-000000000010', tenantId }, 0); // scripts loaded
      const writes = countWrites(redis);
      try {
        const key = `${scope.prefix}:coalesce`;
        const issue = (jobId: string) => Promise.all([redis.rpush(key, 'a'), enqueueRender(queue, { jobId, tenantId }, 0), redis.rpush(key, 'b')]);

        const [first, , second] = await issue('00000000-0000-7000-8000-000000000011');
        expect(writes.count()).toBeGreaterThan(1); // without: a write per command
        expect([first, second]).toEqual([1, 2]);

        const before = writes.count();
        coalesceWrites(queue.opts.connection);
        const [third, , fourth] = await issue('00000000-0000-7000-8000-000000000012');
        expect(writes.count() - before).toBe(1);
        expect([third, fourth]).toEqual([3, 4]);
        expect(await redis.lrange(key, 0, -1)).toEqual(['a', 'b', 'a', 'b']);
        expect((await queue.getJobs(['prioritized', 'waiting'])).length).toBe(3);
      } finally {
        writes.restore();
      }
    } finally {
      await queue.close();
    }
  });

  it('leaves a connection that is not ready alone', () => {
    const idle = new Redis({ host: '127.0.0.1', lazyConnect: true });
    expect(() => coalesceWrites(idle)).not.toThrow();
    expect(() => coalesceWrites(undefined)).not.toThrow();
    idle.disconnect();
  });
});
