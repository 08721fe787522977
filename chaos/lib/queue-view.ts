/**
 * What the BullMQ render queue in Redis holds: the ids of jobs that something will still run
 * (waiting, prioritized, delayed, active). A job that PostgreSQL says is unfinished but
 * that is in none of these will never run: it is lost unless something puts it back.
 */
import type { Queue } from 'bullmq';
import { closeRedis, createRedis, createRenderQueue, jobIdOfEntry, type RedisClient } from '@gantry/queue';

const LIVE_STATES = ['wait', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;

export class QueueView {
  private readonly redis: RedisClient;
  private readonly queue: Queue;

  /** `prefix`: GANTRY_QUEUE_PREFIX of the processes (the default, "gantry", in the suite). */
  constructor(redisUrl: string, prefix = 'gantry') {
    // Fail fast while Redis is down (the caller polls again) instead of queueing commands.
    // Any REDIS_URL (one server or Sentinel); errors stay silent: a read that fails is retried.
    this.redis = createRedis(redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
    this.queue = createRenderQueue({ connection: this.redis, prefix });
  }

  /**
   * Ids of the jobs the queue will still run; rejects while Redis cannot be reached. A job the
   * reconciler queued again has an entry `<id>.r<n>` (renderEntryId): it counts for its job.
   */
  async liveIds(): Promise<Set<string>> {
    return new Set((await this.queue.getRanges([...LIVE_STATES], 0, -1)).map(jobIdOfEntry));
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await closeRedis(this.redis);
  }
}
