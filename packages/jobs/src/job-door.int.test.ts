import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { uuidv7 } from '@gantry/domain';
import { createPrisma, insertJob } from '@gantry/db';
import { createLogger } from '@gantry/logger';
import { createMetricsRegistry } from '@gantry/metrics';
import { createRenderQueue, eventsChannel, EventPublisher, subscribeChannel, TenantJobCounts } from '@gantry/queue';
import { createTestDatabase, redisTestPrefix, TEST_REDIS_URL, waitUntil, type TestDatabase } from '@gantry/testing';
import { JobDoor } from './job-door';

/** Counts the commands `redis` sends (each `sendCommand` is one command on the wire). */
function countCommands(redis: Redis): { names: string[]; restore: () => void } {
  const send = redis.sendCommand;
  const names: string[] = [];
  redis.sendCommand = function (this: Redis, command, ...rest) {
    names.push(command.name);
    return send.call(this, command, ...rest);
  } as Redis['sendCommand'];
  return { names, restore: () => void (redis.sendCommand = send) };
}

describe('JobDoor: a change’s message and its tenant-count update (real PostgreSQL and Redis)', () => {
  const scope = redisTestPrefix();
  let database: TestDatabase;
  let db: ReturnType<typeof createPrisma>;
  let subscriber: Redis;
  beforeAll(async () => {
    database = await createTestDatabase();
    db = createPrisma(database.url);
    subscriber = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    subscriber.disconnect();
    await db.$disconnect();
    await database.drop();
  });

  it('sends the events and the count change of a dispatch and of a success in one command each, in order', async () => {
    const redis = scope.redis as Redis;
    const queue = createRenderQueue({ connection: redis, prefix: scope.prefix });
    const counts = new TenantJobCounts(redis, scope.prefix);
    const door = new JobDoor({
      db,
      publisher: new EventPublisher(redis, scope.prefix),
      metrics: createMetricsRegistry('worker', { processMetrics: false }),
      logger: createLogger({ name: 'test', level: 'silent' }),
      queue,
      counts,
      onWebhookDelivery: () => undefined,
    });
    const tenantId = (await db.tenant.create({ data: { name: `t-${randomUUID()}` } })).id;
    const id = uuidv7();
    const row = await insertJob(db, { id, tenantId, workflow: {}, priority: 0 });
    await counts.seed(tenantId, { queued: 1, running: 0 });
    const seen: unknown[] = [];
    const unsubscribe = await subscribeChannel(subscriber, eventsChannel(scope.prefix), (message) => {
      seen.push((JSON.parse(message) as { event: { status?: unknown } }).event.status);
    });
    const commands = countCommands(redis);
    try {
      const ref = { id, tenantId, kind: 'workflow' as const, createdAt: row.createdAt, startedAt: null };
      expect(await door.change(ref, { to: 'dispatched', backendId: 'b', promptId: randomUUID(), workerId: 'w' })).not.toBeNull();
      expect(await counts.all()).toEqual(new Map([[tenantId, { queued: 0, running: 1 }]]));
      expect(await door.change(ref, { to: 'running' })).not.toBeNull();
      expect(await door.change(ref, { to: 'succeeded', progress: 1, outputs: [] })).not.toBeNull();
      expect(await counts.all()).toEqual(new Map([[tenantId, { queued: 0, running: 0 }]]));
      // One script each for the two changes that move counts (without the fold: the count script
      // and a PUBLISH each), a PUBLISH for `running`, which moves none. (A first run of a script
      // on this server follows its EVALSHA with an EVAL: not counted.)
      expect(commands.names.filter((n) => n === 'evalsha')).toHaveLength(2);
      expect(commands.names.filter((n) => n === 'publish')).toHaveLength(1);
      await waitUntil(async () => (seen.length >= 3 ? true : undefined), 10_000, 10);
      expect(seen).toEqual(['dispatched', 'running', 'succeeded']);
    } finally {
      commands.restore();
      await unsubscribe();
      await queue.close();
    }
  });

  it('leaves the counts of a tenant Redis does not keep alone, and still publishes', async () => {
    const redis = scope.redis as Redis;
    const queue = createRenderQueue({ connection: redis, prefix: scope.prefix });
    const counts = new TenantJobCounts(redis, scope.prefix);
    const door = new JobDoor({
      db,
      publisher: new EventPublisher(redis, scope.prefix),
      metrics: createMetricsRegistry('worker', { processMetrics: false }),
      logger: createLogger({ name: 'test', level: 'silent' }),
      queue,
      counts,
      onWebhookDelivery: () => undefined,
    });
    const tenantId = (await db.tenant.create({ data: { name: `t-${randomUUID()}` } })).id;
    const id = uuidv7();
    const row = await insertJob(db, { id, tenantId, workflow: {}, priority: 0 });
    const got: string[] = [];
    const unsubscribe = await subscribeChannel(subscriber, eventsChannel(scope.prefix), (message) => got.push(message));
    try {
      const ref = { id, tenantId, kind: 'workflow' as const, createdAt: row.createdAt, startedAt: null };
      expect(await door.change(ref, { to: 'dispatched', backendId: 'b', promptId: randomUUID(), workerId: 'w' })).not.toBeNull();
      await waitUntil(async () => (got.length >= 1 ? true : undefined), 10_000, 10);
      expect((JSON.parse(got[0]!) as { event: { status: string } }).event.status).toBe('dispatched');
      expect(await counts.all()).toEqual(new Map());
    } finally {
      await unsubscribe();
      await queue.close();
    }
  });
});
