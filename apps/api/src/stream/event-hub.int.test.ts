import { Writable } from 'node:stream';
import { createLogger } from '@gantry/logger';
import { closeRedis, createRedis, EventPublisher, type RedisClient } from '@gantry/queue';
import { redisTestPrefix, TEST_REDIS_URL, waitUntil } from '@gantry/testing';
import { EventHub, type HubEntry } from './event-hub';

const JOB = '01a20153-556b-7000-93cf-d0697e9d81d1';

/**
 * The hub against a real Redis: a burst larger than the pending bound pauses the subscription and
 * resumes it, and every event still arrives, once, in order, in fewer deliveries than events.
 */
describe('EventHub', () => {
  const scope = redisTestPrefix();
  let subscriber: RedisClient;
  beforeEach(() => {
    subscriber = createRedis(TEST_REDIS_URL);
  });
  afterEach(() => closeRedis(subscriber));

  it('bounds what it holds (pauses the subscription) and still delivers everything in order', async () => {
    const logs: { msg?: string }[] = [];
    const logger = createLogger({
      name: 'test',
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          logs.push(JSON.parse(chunk.toString()) as { msg?: string });
          done();
        },
      }),
    });
    const hub = new EventHub(subscriber, scope.prefix, logger, { maxPending: 20, maxBatch: 8, sliceSize: 1 });
    await hub.start();
    const got: number[] = [];
    let deliveries = 0;
    hub.addTenant('t1', {
      deliver: (entries: readonly HubEntry[]) => {
        deliveries += 1;
        for (const e of entries) got.push(e.seq);
      },
    });
    try {
      const publisher = new EventPublisher(scope.redis, scope.prefix);
      const at = new Date(0).toISOString();
      await Promise.all(
        Array.from({ length: 300 }, (_, i) => publisher.publishEvent({ jobId: JOB, seq: i + 1, at, event: { type: 'progress', node: '3', value: i, max: 300, overall: 0 } as never, tenantId: 't1' })),
      );
      await waitUntil(async () => (got.length >= 300 ? true : undefined), 30_000, 10);
      expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      expect(deliveries).toBeLessThan(300);
      const messages = logs.map((l) => l.msg);
      expect(messages).toContain('stream fan-out behind: event subscription paused');
      expect(messages[messages.length - 1]).toBe('stream fan-out caught up: event subscription resumed');
    } finally {
      await hub.stop();
    }
  });
});
