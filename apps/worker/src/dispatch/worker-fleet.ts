import type { BackendDriver } from '@gantry/backends';
import type { AcquireOutcome, BackendConfig, LeaseCandidate, SlotLeases } from '@gantry/fleet';
import type { JobRequirements } from '@gantry/domain';
import type { RedisClient } from '@gantry/queue';

export interface FleetMember {
  config: BackendConfig;
  driver: BackendDriver;
}

/** The backends one worker may use, with their drivers, and slot leasing over them. */
export class WorkerFleet {
  private readonly members = new Map<string, FleetMember>();

  constructor(
    members: FleetMember[],
    readonly leases: SlotLeases,
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {
    for (const m of members) this.members.set(m.config.id, m);
  }

  get size(): number {
    return this.members.size;
  }

  get totalCapacity(): number {
    return [...this.members.values()].reduce((sum, m) => sum + m.config.capacity, 0);
  }

  member(id: string): FleetMember | undefined {
    return this.members.get(id);
  }

  all(): BackendConfig[] {
    return [...this.members.values()].map((m) => m.config);
  }

  /** Total VRAM of a backend in MiB, when a probe has learned it. */
  vramOf(_id: string): number | null {
    return null;
  }

  /**
   * Backends of the right kind whose tags cover the job's required tags and whose VRAM (when
   * known) fits its `vramMb`, minus the excluded ones.
   */
  eligible(
    requirements: JobRequirements | null,
    exclude: ReadonlySet<string> = new Set(),
    kinds: readonly BackendConfig['kind'][] = ['comfyui'],
  ): BackendConfig[] {
    const tags = requirements?.tags ?? [];
    const need = requirements?.vramMb;
    return this.all().filter((c) => {
      const vram = this.vramOf(c.id);
      const fits = need === undefined || vram === null || vram >= need;
      return fits && kinds.includes(c.kind) && !exclude.has(c.id) && tags.every((t) => c.tags.includes(t));
    });
  }

  /**
   * After an out-of-memory failure: the candidates with more VRAM than the backend that ran out,
   * when there are any (otherwise all of them: a smaller job mix may fit next time).
   */
  preferMoreVram(candidates: BackendConfig[], thanMb: number | undefined): BackendConfig[] {
    if (thanMb === undefined) return candidates;
    const bigger = candidates.filter((c) => (this.vramOf(c.id) ?? 0) > thanMb);
    return bigger.length > 0 ? bigger : candidates;
  }

  /** Tries once to lease the best eligible backend (least-connections, warm model preferred). */
  async tryAcquire(tenantId: string, candidates: BackendConfig[], model: string | null, tenantCap: number): Promise<AcquireOutcome> {
    const warm = model ? await this.redis.hmget(this.modelsKey(), ...candidates.map((c) => c.id)) : [];
    const list: LeaseCandidate[] = candidates.map((c, i) => ({ id: c.id, capacity: c.capacity, warm: model !== null && warm[i] === model }));
    return this.leases.acquire({ tenantId, candidates: list, tenantCap });
  }

  /** Remembers which model a backend has loaded, for warm-model affinity. */
  async noteModel(backendId: string, model: string | null): Promise<void> {
    if (model) await this.redis.hset(this.modelsKey(), backendId, model);
  }

  async close(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.driver.close()));
  }

  private modelsKey(): string {
    return `${this.prefix}:backend-models`;
  }
}
