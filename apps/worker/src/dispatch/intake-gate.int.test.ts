import { Queue, Worker } from 'bullmq';
import { silentLogger } from '@gantry/logger';
import { closeRedis, createRedis } from '@gantry/queue';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { IntakeGate } from './intake-gate';

describe('IntakeGate (real BullMQ)', () => {
  const scope = redisTestPrefix();

  it('a raised concurrency takes the next job at once, while the running one still runs', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const queue = new Queue('gate-test', { connection: scope.redis, prefix: scope.prefix });
    const started: string[] = [];
    const releases = new Map<string, () => void>();
    const worker = new Worker(
      'gate-test',
      async (job) => {
        started.push(job.name);
        await new Promise<void>((resolve) => releases.set(job.name, resolve));
      },
      { connection, prefix: scope.prefix, concurrency: 1 },
    );
    try {
      await worker.waitUntilReady();
      await queue.add('a', {});
      await waitUntil(async () => (started.includes('a') ? true : undefined), 20_000, 10);
      await queue.add('b', {});
      // `a` holds a slot, three more are free: room for one held job + 2 looking for a slot.
      const gate = new IntakeGate(worker, async () => 3, () => 1, 10, silentLogger());
      await gate.adjust();
      expect(worker.concurrency).toBe(3);
      // Without the wake-up BullMQ would fetch `b` only once `a` ended; `a` is never released here first.
      await waitUntil(async () => (started.includes('b') ? true : undefined), 20_000, 10);
      expect(started).toEqual(['a', 'b']);
    } finally {
      for (const release of releases.values()) release();
      await worker.close();
      await queue.close();
      await closeRedis(connection);
    }
  });

  it('lowers concurrency to the held leases when no slot is free, and never below 1', async () => {
    const connection = createRedis(TEST_REDIS_URL);
    const worker = new Worker('gate-test', async () => undefined, { connection, prefix: scope.prefix, concurrency: 5, autorun: false });
    try {
      let held = 2;
      const gate = new IntakeGate(worker, async () => 0, () => held, 10, silentLogger());
      await gate.adjust();
      expect(worker.concurrency).toBe(2);
      held = 0;
      await gate.adjust();
      expect(worker.concurrency).toBe(1);
    } finally {
      await worker.close();
      await closeRedis(connection);
    }
  });
});
