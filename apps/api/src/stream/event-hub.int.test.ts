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
  it("delivers a change's events published as one list message, in order, after the single ones before it", async () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    const hub = new EventHub(subscriber, scope.prefix, logger);
    await hub.start();
    const got: HubEntry[] = [];
    hub.addJob(JOB, { deliver: (entries: readonly HubEntry[]) => got.push(...entries) });
    try {
      const publisher = new EventPublisher(scope.redis, scope.prefix);
      const at = new Date(0).toISOString();
      const event = (seq: number, body: object) => ({ jobId: JOB, seq, at, event: body as never, tenantId: 't1' });
      await publisher.publishEvents([event(1, { type: 'state', status: 'running', attempt: 1 })]);
      await publisher.publishEvents([
        event(2, { type: 'output', node: '9', filename: 'a.png' }),
        event(3, { type: 'output', node: '9', filename: 'b.png' }),
        event(4, { type: 'state', status: 'succeeded', attempt: 1 }),
      ]);
      await waitUntil(async () => (got.length >= 4 ? true : undefined), 30_000, 10);
      expect(got.map((e) => [e.seq, e.terminal])).toEqual([
        [1, false],
        [2, false],
        [3, false],
        [4, true],
      ]);
      // Each frame's payload (under 64 KiB: a 2- or 4-byte header) is the wire message, with the publisher's clock.
      const frames = got.map((e) => JSON.parse(e.frame.subarray(e.frame[1]! < 126 ? 2 : 4).toString()) as { seq: number; publishedAt?: number });
      expect(frames.map((f) => f.seq)).toEqual([1, 2, 3, 4]);
      expect(frames.every((f) => typeof f.publishedAt === 'number')).toBe(true);
    } finally {
      await hub.stop();
    }
  });
});
