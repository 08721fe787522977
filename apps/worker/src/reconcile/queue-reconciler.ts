import type { Redis } from 'ioredis';
import { findReconcileCandidates, type Db, type ReconcileCandidate } from '@gantry/db';
import type { JobDoor } from '@gantry/jobs';
import type { Logger } from '@gantry/logger';
import { FleetLock, findLostRenderEntries, renderEntryId } from '@gantry/queue';

export interface ReconcilerOptions {
  db: Db;
  redis: Redis;
  prefix: string;
  jobs: JobDoor;
  logger: Logger;
  /** Time between two passes (GANTRY_RECONCILE_INTERVAL_MS); 0 disables the loop. */
  intervalMs: number;
  /** A queued job changed more recently than this is left alone: its enqueue may be in flight. */
  graceMs: number;
  /** A held job whose heartbeat is older than this has lost its worker (GANTRY_JOB_STALE_MS). */
  staleMs: number;
  /** Jobs read from PostgreSQL and checked in Redis per round trip. */
  pageSize?: number;
}

export interface ReconcileReport {
  checked: number;
  requeued: number;
}

/**
 * PostgreSQL is the record, Redis a cache of the queue: this puts back every job PostgreSQL says
 * must run and Redis holds no live entry for (after a Redis flush or failover, an API crash
 * between insert and enqueue, a restore, a worker that died holding the job). One pass at a time
 * across the fleet (a FleetLock); every worker runs the loop, so one survives whichever dies.
 */
export class QueueReconciler {
  private readonly lock: FleetLock;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport | null> | null = null;
  private stopped = false;

  constructor(private readonly options: ReconcilerOptions) {
    // The lock outlives a pass by far, and a dead holder's lock frees itself within a few passes.
    this.lock = new FleetLock(options.redis, `${options.prefix}:reconciler:lock`, Math.max(10_000, options.intervalMs * 3));
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    const loop = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        void this.pass().finally(loop);
      }, this.options.intervalMs);
      this.timer.unref();
    };
    loop();
  }

  /** One pass if this process holds (or takes) the fleet lock; null when another one does. */
  pass(): Promise<ReconcileReport | null> {
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.lock.release().catch(() => undefined);
  }

  private async run(): Promise<ReconcileReport | null> {
    const { db, redis, prefix, logger } = this.options;
    try {
      if (!(await this.lock.hold())) return null;
      const report: ReconcileReport = { checked: 0, requeued: 0 };
      let afterId: string | undefined;
      for (;;) {
        const page = await findReconcileCandidates(db, {
          graceMs: this.options.graceMs,
          staleMs: this.options.staleMs,
          afterId,
          limit: this.options.pageSize ?? 500,
        });
        if (page.length === 0) break;
        afterId = page[page.length - 1]?.id;
        report.checked += page.length;
        const queued = page.filter((c) => c.status === 'queued');
        const held = page.filter((c) => c.status !== 'queued');
        const lost = [
          ...(await this.lostOf(queued, (ids) => findLostRenderEntries(redis, prefix, ids, false))),
          ...(await this.lostOf(held, (ids) => findLostRenderEntries(redis, prefix, ids, true))),
        ];
        for (const candidate of lost) {
          if (await this.options.jobs.requeueLost(candidate)) report.requeued += 1;
        }
        if (page.length < (this.options.pageSize ?? 500)) break;
      }
      if (report.requeued > 0) logger.warn(report, 'reconciler queued lost jobs again');
      return report;
    } catch (err) {
      logger.warn({ err }, 'reconcile pass failed; the next pass retries');
      return null;
    }
  }

  private async lostOf(candidates: ReconcileCandidate[], find: (ids: string[]) => Promise<Set<string>>): Promise<ReconcileCandidate[]> {
    if (candidates.length === 0) return [];
    const lost = await find(candidates.map((c) => renderEntryId(c.id, c.queueSeq)));
    return candidates.filter((c) => lost.has(renderEntryId(c.id, c.queueSeq)));
  }
}
