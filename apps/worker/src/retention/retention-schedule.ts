import { Queue, Worker } from 'bullmq';
import type { Logger } from '@gantry/logger';
import { closeRedis, createRedis, logRedisErrors, type RedisClient } from '@gantry/queue';
import { RetentionLock } from './retention-lock.js';
import { runRetention, type RetentionDeps, type RetentionOptions, type RetentionReport } from './run-retention.js';

/** BullMQ queue of fleet-wide periodic work; its job scheduler `retention` creates one job per period. */
const MAINTENANCE_QUEUE = 'gantry-maintenance';
const RETENTION_SCHEDULER_ID = 'retention';

export interface RetentionScheduleOptions {
  redis: RedisClient;
  redisUrl: string;
  prefix: string;
  /** GANTRY_RETENTION_INTERVAL_MS; 0: this worker neither schedules nor runs retention. */
  intervalMs: number;
  run: Omit<RetentionOptions, 'shouldContinue' | 'now'>;
  logger: Logger;
}

export interface RetentionSchedule {
  /** Stops taking retention jobs; a run in progress ends after its current batch. */
  stop(): Promise<void>;
}

/**
 * Schedules retention with a BullMQ job scheduler (every worker upserts the same one, so there is
 * one job per period for the whole fleet, taken by one worker) and runs it under a Redis lock
 * (shared with `npm run retention`), so two runs never overlap even when one outlasts its period.
 */
export async function startRetentionSchedule(deps: RetentionDeps, options: RetentionScheduleOptions): Promise<RetentionSchedule> {
  if (options.intervalMs === 0) return { stop: async () => undefined };
  const log = options.logger.child({ component: 'retention' });
  const queue = new Queue(MAINTENANCE_QUEUE, { connection: options.redis, prefix: options.prefix });
  queue.on('error', logRedisErrors(log, 'maintenance queue'));
  await queue.upsertJobScheduler(
    RETENTION_SCHEDULER_ID,
    { every: options.intervalMs },
    { name: RETENTION_SCHEDULER_ID, opts: { removeOnComplete: { count: 20 }, removeOnFail: { count: 50 } } },
  );
  let stopping = false;
  const connection = createRedis(options.redisUrl, { onError: logRedisErrors(log, 'maintenance worker') });
  const worker = new Worker<unknown, RetentionReport | { skipped: string }>(
    MAINTENANCE_QUEUE,
    async (job) => {
      if (job.name !== RETENTION_SCHEDULER_ID) return { skipped: `unknown maintenance job ${job.name}` };
      const lock = new RetentionLock(options.redis, options.prefix);
      if (!(await lock.acquire())) {
        log.info('retention already running elsewhere; skipping this period');
        return { skipped: 'locked' };
      }
      try {
        return await runRetention(deps, { ...options.run, shouldContinue: async () => !stopping && (await lock.extend()) });
      } finally {
        await lock.release().catch((err: unknown) => log.warn({ err }, 'could not release the retention lock'));
      }
    },
    { connection, prefix: options.prefix, concurrency: 1 },
  );
  worker.on('error', (err) => log.error({ err }, 'maintenance worker connection error'));
  await worker.waitUntilReady();
  return {
    stop: async () => {
      stopping = true;
      await worker.close();
      await queue.close();
      await closeRedis(connection);
    },
  };
}
