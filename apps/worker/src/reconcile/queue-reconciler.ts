import { countActiveJobsByTenant, findReconcileCandidates, type Db } from '@gantry/db';
import { systemClock, type Clock, type ClockTimer } from '@gantry/domain';
import type { JobDoor } from '@gantry/jobs';
import type { Logger } from '@gantry/logger';
import { FleetLock, findLostRenderEntries, isCluster, renderEntryId, type ActiveCounts, type RedisClient, type TenantJobCounts } from '@gantry/queue';

export interface ReconcilerOptions {
  db: Db;
  redis: RedisClient;
  prefix: string;
  jobs: JobDoor;
  /** The tenants' queued/held counts kept in Redis: each pass corrects a drift it saw on the pass before too. */
  counts?: TenantJobCounts;
  logger: Logger;
  /** Time between two passes (GANTRY_RECONCILE_INTERVAL_MS); 0 disables the loop. */
  intervalMs: number;
  /** A queued job changed more recently than this is left alone: its enqueue may be in flight. */
  graceMs: number;
  /** A held job whose heartbeat is older than this has lost its worker (GANTRY_JOB_STALE_MS). */
  staleMs: number;
  /**
   * Every this often a pass checks every queued job (GANTRY_RECONCILE_FULL_MS). Between full
   * passes only queued jobs changed in the last RECENT_WINDOW_MS are checked, unless Redis lost the
   * reconciler's marker key (it came back empty) or another Redis server answers than at the last
   * pass (a Sentinel failover, a restart), which makes the next pass a full one at once.
   */
  fullEveryMs: number;
  /** Jobs read from PostgreSQL and checked in Redis per round trip. */
  pageSize?: number;
  /** Time of the loop and of the full-pass schedule (default the system clock). */
  clock?: Clock;
}

/**
 * What a Redis that kept its marker can have lost: the writes of its last moments before a crash
 * (`appendfsync everysec`) or a failover to a lagging replica. Generous on purpose.
 */
const RECENT_WINDOW_MS = 120_000;

export interface ReconcileReport {
  /** Every queued job was checked (false: only recently changed ones). */
  full: boolean;
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
  private readonly pageSize: number;
  private readonly marker: string;
  private readonly clock: Clock;
  private lastFullAt = -Infinity;
  private timer: ClockTimer | null = null;
  private running: Promise<ReconcileReport | null> | null = null;
  private stopped = false;
  /** By tenant: how PostgreSQL's counts differed from Redis' at the last pass (a drift is corrected when it persists). */
  private drifts = new Map<string, ActiveCounts>();

  constructor(private readonly options: ReconcilerOptions) {
    // The lock outlives a pass by far, and a dead holder's lock frees itself within a few passes.
    this.pageSize = options.pageSize ?? 500;
    this.marker = `${options.prefix}:reconciler:marker`;
    this.clock = options.clock ?? systemClock;
    this.lock = new FleetLock(options.redis, `${options.prefix}:reconciler:lock`, Math.max(10_000, options.intervalMs * 3));
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    const loop = (): void => {
      if (this.stopped) return;
      this.timer = this.clock.setTimeout(() => {
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
    this.clock.clear(this.timer);
    await this.running;
    await this.lock.release().catch(() => undefined);
  }

  private async run(): Promise<ReconcileReport | null> {
    const { db, redis, prefix, logger } = this.options;
    try {
      if (!(await this.lock.hold())) return null;
      const full = (await this.serverChanged()) || this.clock.now() - this.lastFullAt >= this.options.fullEveryMs;
      if (full) this.lastFullAt = this.clock.now();
      const report: ReconcileReport = { full, checked: 0, requeued: 0 };
      // Queued jobs: their entry must be live. Held jobs with a stale heartbeat: their worker is
      // dead, so an active entry is as good as lost (its lock may outlive the worker by 30 s).
      for (const group of ['queued', 'held'] as const) {
        let afterId: string | undefined;
        for (;;) {
          const page = await findReconcileCandidates(db, {
            group,
            graceMs: this.options.graceMs,
            staleMs: this.options.staleMs,
            changedWithinMs: full ? null : RECENT_WINDOW_MS,
            afterId,
            limit: this.pageSize,
          });
          if (page.length === 0) break;
          afterId = page[page.length - 1]?.id;
          report.checked += page.length;
          const ids = page.map((c) => renderEntryId(c.id, c.queueSeq));
          const lost = await findLostRenderEntries(redis, prefix, ids, group === 'held');
          report.requeued += await this.options.jobs.requeueLost(page.filter((c) => lost.has(renderEntryId(c.id, c.queueSeq))));
          if (page.length < this.pageSize) break;
        }
      }
      if (report.requeued > 0) logger.warn(report, 'reconciler queued lost jobs again');
      await this.correctCounts();
      return report;
    } catch (err) {
      logger.warn({ err }, 'reconcile pass failed; the next pass retries');
      return null;
    }
  }

  /**
   * Checks every kept tenant's counts against PostgreSQL. A difference can be a change in flight
   * (committed, its Redis update not sent yet) or a lost update (a crash between the two, a
   * Redis outage): only the same difference on two passes in a row is corrected, by an increment
   * (so updates landing meanwhile are kept). Returns how many tenants were corrected.
   */
  private async correctCounts(): Promise<number> {
    const { counts, db, logger } = this.options;
    if (!counts) return 0;
    // A change in flight while these two are read shows as a difference on this pass only.
    const kept = await counts.all();
    const actual = await countActiveJobsByTenant(db);
    const drifts = new Map<string, ActiveCounts>();
    const corrections = [];
    for (const [tenantId, k] of kept) {
      const a = actual.get(tenantId) ?? { queued: 0, running: 0 };
      const drift = { queued: a.queued - k.queued, running: a.running - k.running };
      if (drift.queued === 0 && drift.running === 0) continue;
      const before = this.drifts.get(tenantId);
      if (before && before.queued === drift.queued && before.running === drift.running) corrections.push({ tenantId, ...drift });
      else drifts.set(tenantId, drift);
    }
    this.drifts = drifts;
    if (corrections.length === 0) return 0;
    await counts.apply(corrections);
    logger.warn({ corrections }, "reconciler corrected tenants' job counts in Redis");
    return corrections.length;
  }

  /**
   * Whether Redis may have lost writes since the last pass: the marker is gone (Redis came back
   * empty, or this is the first pass) or it names another server. The marker holds the run id of
   * the server that answered; it replicates, so after a Sentinel failover the promoted replica
   * holds it with the old master's run id, while the last second or so of the old master's writes
   * never reached it (asynchronous replication): those can be older than the recent window by
   * the time a pass runs on a slow failover. A Cluster spreads the marker's server per slot, so
   * there only its loss counts.
   */
  private async serverChanged(): Promise<boolean> {
    const { redis } = this.options;
    const server = isCluster(redis) ? 'cluster' : (/run_id:(\w+)/.exec(await redis.info('server'))?.[1] ?? 'unknown');
    // GET, then SET only on a change (no SET ... GET: that needs Redis 6.2); the fleet lock is held.
    if ((await redis.get(this.marker)) === server) return false;
    await redis.set(this.marker, server);
    return true;
  }
}
