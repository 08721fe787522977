import type { BackendDriver } from '@gantry/backends';
import type { AcquireOutcome, BackendConfig, BackendHealth, BackendRecord, SlotLeases } from '@gantry/fleet';
import type { Logger } from '@gantry/logger';
import type { RedisClient } from '@gantry/queue';
import { WorkerFleet, type FleetMember } from '../dispatch/worker-fleet.js';

/** Makes the driver of a backend, or null when this worker cannot drive its kind. */
export type DriverFactory = (record: BackendRecord) => BackendDriver | null;

/**
 * A WorkerFleet whose members follow the FleetRegistry instead of being fixed at start, and
 * whose slot leasing skips backends that must not get new jobs now (draining, circuit open,
 * unhealthy). Dispatch code is untouched: it keeps calling `eligible`, `tryAcquire`, `member`.
 *
 * - `sync(records)` (called on every registry change) adds drivers for new backends, updates
 *   changed ones in place (a new URL gets a new driver) and retires removed ones.
 * - A retired member stays reachable through `member(id)` (its running jobs finish, an orphan
 *   can be interrupted) and its driver is closed once no slot lease on it is live.
 * - `eligible` stays a pure tag match over all members, so a job whose backends are only
 *   temporarily unavailable waits (and is handed back) instead of failing; `tryAcquire` leases
 *   only among dispatchable candidates and reports `full` when none is.
 */
export class RegistryFleet extends WorkerFleet {
  private readonly live = new Map<string, FleetMember>();
  private readonly retired = new Map<string, FleetMember[]>();
  private readonly unsupported = new Set<string>();
  private drainingById = new Map<string, boolean>();
  private readonly vramById = new Map<string, number | null>();

  constructor(
    private readonly createDriver: DriverFactory,
    leases: SlotLeases,
    redis: RedisClient,
    prefix: string,
    private readonly health: BackendHealth,
    private readonly log: Logger,
  ) {
    super([], leases, redis, prefix);
  }

  override get size(): number {
    return this.live.size;
  }

  override get totalCapacity(): number {
    return [...this.live.values()].reduce((sum, m) => sum + m.config.capacity, 0);
  }

  override member(id: string): FleetMember | undefined {
    return this.live.get(id) ?? this.retired.get(id)?.at(-1);
  }

  override vramOf(id: string): number | null {
    return this.vramById.get(id) ?? null;
  }

  override all(): BackendConfig[] {
    return [...this.live.values()].map((m) => m.config);
  }

  /** Leases among the candidates that may take new jobs now; `full` when none may. */
  override async tryAcquire(...args: Parameters<WorkerFleet['tryAcquire']>): Promise<AcquireOutcome> {
    const [tenantId, candidates, ...rest] = args;
    const open = await this.dispatchable(candidates);
    if (open.length === 0) return { lease: null, reason: 'full' };
    return super.tryAcquire(tenantId, open, ...rest);
  }

  /**
   * The candidates whose health allows new jobs (healthy or not yet probed, not draining).
   * If Redis cannot be read, every candidate passes: health must not stop a working fleet.
   */
  async dispatchable(candidates: BackendConfig[]): Promise<BackendConfig[]> {
    try {
      const views = await this.health.views(candidates.map((c) => ({ id: c.id, draining: this.drainingById.get(c.id) ?? false })));
      return candidates.filter((c) => views.get(c.id)?.dispatchable ?? true);
    } catch (err) {
      this.log.debug({ err }, 'fleet: could not read backend health; not filtering');
      return candidates;
    }
  }

  /** Reconciles the members with the registry's list. */
  sync(records: readonly BackendRecord[]): void {
    const seen = new Set<string>();
    for (const record of records) {
      seen.add(record.id);
      this.drainingById.set(record.id, record.draining);
      this.vramById.set(record.id, record.info?.vramTotalMb ?? null);
      const current = this.live.get(record.id);
      const config: BackendConfig = { id: record.id, kind: record.kind, url: record.url, capacity: record.capacity, tags: [...record.tags] };
      if (current && current.config.url === config.url && current.config.kind === config.kind) {
        current.config = config; // capacity or tags changed: same driver
        continue;
      }
      const driver = this.createDriver(record);
      if (!driver) {
        if (!this.unsupported.has(record.id)) this.log.warn({ backend: record.id, kind: record.kind }, 'fleet: this worker cannot drive this backend kind; skipping it');
        this.unsupported.add(record.id);
        if (current) this.retire(current);
        continue;
      }
      this.unsupported.delete(record.id);
      if (current) this.retire(current);
      this.live.set(record.id, { config, driver });
      this.log.info({ backend: record.id, url: record.url, capacity: record.capacity, tags: record.tags }, current ? 'fleet: backend reconfigured' : 'fleet: backend added');
    }
    for (const [id, member] of [...this.live]) {
      if (!seen.has(id)) {
        this.retire(member);
        this.drainingById.delete(id);
        this.log.info({ backend: id }, 'fleet: backend removed');
      }
    }
    void this.closeIdleRetired();
  }

  /** Closes retired drivers that no live lease uses any more (call periodically). */
  async closeIdleRetired(): Promise<void> {
    const ids = [...this.retired.keys()];
    if (ids.length === 0) return;
    let inFlight: Record<string, number>;
    try {
      inFlight = await this.leases.inFlight(ids);
    } catch {
      return; // try again at the next sync
    }
    for (const id of ids) {
      // A live namesake shares the lease key; wait until it is idle too before closing the old driver.
      if ((inFlight[id] ?? 0) > 0) continue;
      const members = this.retired.get(id) ?? [];
      this.retired.delete(id);
      await Promise.all(members.map((m) => m.driver.close().catch(() => undefined)));
    }
  }

  override async close(): Promise<void> {
    const all = [...this.live.values(), ...[...this.retired.values()].flat()];
    this.live.clear();
    this.retired.clear();
    await Promise.all(all.map((m) => m.driver.close()));
  }

  private retire(member: FleetMember): void {
    this.live.delete(member.config.id);
    this.retired.set(member.config.id, [...(this.retired.get(member.config.id) ?? []), member]);
  }
}
