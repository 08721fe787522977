import { DelayedError, type Job as BullJob } from 'bullmq';
import type { RenderJobPayload } from '@gantry/domain';
import type { Logger } from '@gantry/logger';

/**
 * Gives a still-queued job's entry back to the queue after `delayMs`, for any worker to take
 * (no slot free here, or this worker stops). When Redis lost the entry meanwhile (flushed, failed
 * over) there is nothing to hand back: the job stays queued in PostgreSQL and the reconciler
 * queues it again, so that is logged, not thrown.
 */
export async function handBack(bullJob: BullJob<RenderJobPayload>, token: string, delayMs: number, log: Logger): Promise<'skipped'> {
  try {
    await bullJob.moveToDelayed(Date.now() + delayMs, token);
  } catch (err) {
    log.warn({ err }, 'queue entry lost while the job waited here; the reconciler will queue it again');
    return 'skipped';
  }
  throw new DelayedError();
}
