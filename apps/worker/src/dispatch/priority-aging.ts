import type { Queue } from 'bullmq';
import { findAgingCandidates, type Db } from '@gantry/db';
import { MAX_PRIORITY, systemClock, type Clock, type RenderJobPayload } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import { FAIR_SHARE_RANKS, toBullPriority, type RedisClient } from '@gantry/queue';

const BATCH = 500;

/**
 * The anti-starvation rule: a waiting job's effective priority rises by one level for every
 * `agingMs` it has waited (capped at the top level), keeping its fair-share rank. So a job at
 * priority p overtakes fresh work at priority q after (q - p) × agingMs of waiting, and no job
 * waits behind higher-priority work forever. Returns how many jobs were promoted.
 */
export async function ageWaitingJobs(db: Db, queue: Queue<RenderJobPayload>, agingMs: number, now = Date.now()): Promise<number> {
  const waiting = await findAgingCandidates(db, new Date(now - agingMs), MAX_PRIORITY, BATCH);
  let promoted = 0;
  for (const row of waiting) {
    const bullJob = await queue.getJob(row.id);
    const current = bullJob?.priority;
    if (!bullJob || !current || (await bullJob.getState()) !== 'prioritized') continue;
    const levels = Math.floor((now - row.createdAt.getTime()) / agingMs);
    const rank = (current - 1) % FAIR_SHARE_RANKS;
    const target = toBullPriority(Math.min(MAX_PRIORITY, row.priority + levels), rank);
    if (target < current) {
      await bullJob.changePriority({ priority: target });
      promoted += 1;
    }
  }
  return promoted;
}

/** Runs the aging sweep on an interval; one worker at a time does it (a Redis lock). */
export function startPriorityAging(
  db: Db,
  queue: Queue<RenderJobPayload>,
  redis: RedisClient,
  prefix: string,
  agingMs: number,
  logger: Logger,
  clock: Clock = systemClock,
): () => void {
  if (agingMs <= 0) return () => undefined;
  const every = Math.max(100, Math.min(agingMs, 60_000));
  const timer = clock.setInterval(async () => {
    try {
      const locked = await redis.set(`${prefix}:aging-lock`, '1', 'PX', every, 'NX');
      if (!locked) return;
      const promoted = await ageWaitingJobs(db, queue, agingMs, clock.now());
      if (promoted > 0) logger.info({ promoted }, 'aged waiting jobs up one priority level');
    } catch (err) {
      logger.warn({ err }, 'priority aging sweep failed');
    }
  }, every);
  timer.unref();
  return () => clock.clear(timer);
}
