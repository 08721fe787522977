import type { BackendDriver } from '@gantry/backends';
import {
  ACCEPTING_BOUND_MS,
  BackendPace,
  betterWaitForFaster,
  explainEligibility,
  healthKey,
  jobsToPlace,
  worthStartingOn,
  worthStartingOnAnyway,
  storedHealthOf,
  type AcquireOutcome,
  type BackendConfig,
  type BackendHealth,
  type BackendRecord,
  type EligibilityBackend,
  type HealthView,
  type JobNeed,
  type Lease,
  type LeaseCandidate,
  type PacedBackend,
  type QueueCountKeys,
  type SlotLeases,
  type StoredHealth,
} from '@gantry/fleet';
import { systemClock, type Clock } from '@gantry/domain';
import type { Logger } from '@gantry/logger';
import type { RedisClient } from '@gantry/queue';
import { before, SlotTurns, type QueuePlace } from '../dispatch/slot-turns.js';
import { SettlingJobs } from '../dispatch/settling-jobs.js';
import { SlotsEnding } from '../dispatch/slots-ending.js';

/**
 * How long a health read stays usable for a lease attempt. The lease script checks that nothing
 * changed since (see ACQUIRE_LEASE), so age does not make it wrong; the bound only keeps an
 * expired and re-created hash from coming back to the same revision unnoticed.
 */
const HEALTH_REUSE_MS = 2000;

/** Lease attempts per tryAcquire when the health keeps changing under it (then: full, try later). */
const HEALTH_CHANGED_TRIES = 3;

/**
 * What a lease attempt reports; `freed` when it freed the lease it was given to hand over, and for
 * a lease finished that way, `expired` when it was no longer live (its slot was free already).
 */
export type TryAcquireOutcome = AcquireOutcome & { freed?: true; expired?: true };

/**
 * A lease of this worker whose slot a lease attempt frees in its own script (a hand-over): at its
 * attempt's end (`release`: the lease ends, its backend's strikes forgiven with `forgive`) or at its
 * prompt's end (`finish`: it moves to its backend's finishing set, see SlotLeases.finish).
 */
export type Freeing =
  | { lease: Lease; at: 'release'; forgive?: { healthKey: string; ttlMs: number } }
  /** `aheadMs` > 0: freed before its prompt's end, expected in that many ms (queue-ahead; see finish). */
  | { lease: Lease; at: 'finish'; aheadMs?: number };

/** A job of this worker waiting for a slot, ready to take one handed over (see WorkerFleet.release and finish). */
interface Taker {
  place: QueuePlace;
  take(freeing: Freeing): Promise<TryAcquireOutcome>;
  /** Fires when a hand-over gave it a lease. */
  got: AbortController;
  /** The hand-over in flight or done: its lease, if any. */
  taking: Promise<Lease | null> | null;
}

/** A backend this worker drives: its configuration and its driver. */
export interface FleetMember {
  config: BackendConfig;
  driver: BackendDriver;
}

/** Makes the driver of a backend, or null when this worker cannot drive its kind. */
export type DriverFactory = (record: BackendRecord) => BackendDriver | null;

export interface WorkerFleetOptions {
  createDriver: DriverFactory;
  leases: SlotLeases;
  redis: RedisClient;
  /** Redis key prefix (GANTRY_QUEUE_PREFIX), for the warm-model map. */
  prefix: string;
  /** Shared health: which backends may take new jobs now. */
  health: BackendHealth;
  logger: Logger;
  /**
   * The render queue's keys (BullMQ's `queue.keys`), counted in the same Redis script that reads
   * the leases, for placement in the drain tail (see jobsToPlace); unknown: nothing queued.
   */
  queueKeys?: QueueCountKeys;
  /**
   * How long before a slot of this worker is expected to free (by its backend's pace) the intake
   * gate lets in a job to take it (GANTRY_SLOT_LEAD_MS; 0, the default here: never, see SlotsEnding).
   */
  slotLeadMs?: number;
  /**
   * The longest a prompt sent to a backend may wait there behind one whose slot was freed before
   * its end (queue-ahead's lead, GANTRY_SLOT_LEAD_MS with GANTRY_QUEUE_AHEAD; 0, the default here:
   * slots are freed only at their prompt's end). The drain tail's rule counts it when it judges a
   * backend without reading the leases (worthStartingOnAnyway).
   */
  aheadBoundMs?: number;
  /** Time of the slots' expected ends (default the system clock). */
  clock?: Clock;
}

/**
 * The backends one worker serves, following the FleetRegistry, with their drivers and slot
 * leasing over them. Which backend may run a job is decided by `explainEligibility` of
 * @gantry/fleet, the rule submit and the wait explanation use too:
 *
 * - `candidates(need)` keeps the backends with no permanent reason against the job (kind, tags,
 *   VRAM, node types, models, as the registry's records know them), so a job whose backends are
 *   only temporarily unavailable waits (and is handed back) instead of failing;
 * - `tryAcquire` leases among the candidates that are eligible now (health and drain from Redis
 *   added) and reports `full` when none is; least-connections, warm model preferred.
 *
 * `sync(records)` (on every registry change) adds drivers for new backends, updates changed ones
 * in place (a new URL gets a new driver) and retires removed ones. A retired member stays
 * reachable through `member(id)` (its running jobs finish, an orphan can be interrupted) and its
 * driver is closed once no slot lease on it is live.
 */
export class WorkerFleet {
  readonly leases: SlotLeases;
  /** How long each backend held a slot per job, as this worker saw it (speed-aware placement). */
  readonly pace = new BackendPace();
  /** This worker's jobs waiting for a slot try freed ones in queue order, one at a time. */
  readonly turns = new SlotTurns();
  /** This worker's jobs whose slot was freed at their prompt's end, still storing outputs (the intake gate counts them). */
  readonly settling = new SettlingJobs();
  /** This worker's slots whose prompt is expected to end soon (the intake gate lets a job in for each). */
  readonly ending: SlotsEnding;
  private readonly live = new Map<string, FleetMember>();
  private readonly retired = new Map<string, FleetMember[]>();
  private readonly unsupported = new Set<string>();
  private records = new Map<string, BackendRecord>();
  private readonly log: Logger;
  private readonly freedWaiters = new Set<AbortController>();
  private readonly takers = new Set<Taker>();
  /** The health read in flight, shared by callers asking for the same backends meanwhile (the gate and a lease attempt, as a rule). */
  private healthRead: { key: string; stored: Promise<Map<string, StoredHealth>> } | null = null;
  /** Each backend's health hash as this worker last read it, and when: a lease attempt reuses it (checked in the lease script). */
  private readonly healthSeen = new Map<string, { stored: StoredHealth; at: number }>();
  /** Leases whose prompt-submission record the lease script started and nothing ended yet, with the record's bound (see whileAccepting). */
  private readonly acceptingOpen = new Map<string, number>();
  /** Called when a slot went from a job at its prompt's end straight to a waiting job on the same backend (see onHandedOverInPlace). */
  private readonly inPlace = new Set<() => void>();
  /** The warm model of each backend as this worker last read or wrote it (noteModel skips a write that changes nothing). */
  private readonly warmSeen = new Map<string, string | null>();

  constructor(private readonly options: WorkerFleetOptions) {
    this.leases = options.leases;
    this.log = options.logger;
    this.ending = new SlotsEnding((id) => this.pace.expectedMs(id), options.slotLeadMs ?? 0, options.clock ?? systemClock);
  }

  get size(): number {
    return this.live.size;
  }

  get totalCapacity(): number {
    return [...this.live.values()].reduce((sum, m) => sum + m.config.capacity, 0);
  }

  member(id: string): FleetMember | undefined {
    return this.live.get(id) ?? this.retired.get(id)?.at(-1);
  }

  /** The live members' configurations. */
  all(): BackendConfig[] {
    return [...this.live.values()].map((m) => m.config);
  }

  /** Total VRAM of a backend in MiB, when a probe has learned it. */
  vramOf(id: string): number | null {
    return this.records.get(id)?.info?.vramTotalMb ?? null;
  }

  /** What probes learned about a backend (VRAM, node types, models), as the registry last read it. */
  infoOf(id: string): BackendRecord['info'] {
    return this.records.get(id)?.info ?? null;
  }

  /** The members that could run the job at some point (no permanent reason against it), minus the excluded. */
  candidates(need: JobNeed, exclude: ReadonlySet<string> = new Set()): BackendConfig[] {
    return this.all().filter((c) => !exclude.has(c.id) && explainEligibility(need, this.asEligible(c, 'unknown')).possible);
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

  /**
   * Tries once to lease the best of the candidates eligible now (least-connections, warm model
   * preferred); `full` when none is. Once this worker knows every candidate's pace, equally loaded
   * ones go fastest first, and a job is left for a much faster busy backend when that finishes the
   * waiting jobs sooner (the drain tail; see placement.ts of @gantry/fleet).
   */
  async tryAcquire(
    tenantId: string,
    need: JobNeed,
    candidates: BackendConfig[],
    model: string | null,
    tenantCap: number,
    /** False once the job has waited for a faster GPU long enough (a busy fast GPU may be stuck). */
    mayWaitForFaster = true,
    /**
     * A lease of this worker to free in the lease script itself (a hand-over: see release and
     * finish). The outcome says `freed` once it was; when not, the caller still holds it as it was.
     */
    freeing?: Freeing,
  ): Promise<TryAcquireOutcome> {
    // A backend that left the registry while the job waited is never leased (its list was made
    // earlier), and one whose settings changed meanwhile is judged on its current ones (capacity).
    const live = candidates.flatMap((c) => {
      const member = this.live.get(c.id);
      return member ? [member.config] : [];
    });
    if (live.length === 0) return { lease: null, reason: 'full' };
    let handing = freeing;
    /** A finished lease had expired (the script said so). */
    let expired = false;
    const freedIf = (outcome: AcquireOutcome): TryAcquireOutcome => (freeing && !handing ? { ...outcome, freed: true, ...(expired ? { expired: true as const } : {}) } : outcome);
    const ids = live.map((c) => c.id);
    const expected = new Map(live.map((c) => [c.id, this.pace.expectedMs(c.id)]));
    // Round-robin stays blind to speed: it is the benchmark's baseline.
    const paced = this.leases.policy === 'least-connections' && live.length > 1 && [...expected.values()].every((p) => p !== null);
    // The tail rule needs the leases only for a backend it may not keep whatever they are (one with
    // much faster GPUs beside it, while fewer of this worker's jobs wait than those could take
    // meanwhile). A hand-over of a slot on a backend it keeps anyway reads none: the rule keeps every
    // backend at least as fast too, so the job may take any of those (the freed slot among them) and
    // none slower, which only a read could judge. Nor does any attempt on backends it keeps all
    // anyway (GPUs of one speed, as a rule): by that lower bound of the jobs to place, the read would
    // keep them all too (with more jobs to place than the bound it keeps at least as many). This worker's jobs
    // still waiting for a slot (the one asking, and the others offered a hand-over) are a lower
    // bound of the jobs still to place.
    // (Once the job may not wait for a faster GPU, only the order by pace is left: no read either.)
    const paces = live.map((c) => ({ id: c.id, capacity: c.capacity, expectedMs: expected.get(c.id) ?? 0 }));
    const keptAnyway = (id: string) => worthStartingOnAnyway(paces, id, 1 + this.takers.size, this.options.aheadBoundMs ?? 0);
    const readLeases = paced && mayWaitForFaster && !(freeing ? keptAnyway(freeing.lease.backendId) : live.every((c) => keptAnyway(c.id)));
    // The health as last read (the intake gate reads it at every lease change) is checked by the
    // lease script itself; the warm models are read there too. One round trip in the usual case.
    let kept = this.recalledHealth(ids);
    for (let attempt = 0; attempt < HEALTH_CHANGED_TRIES; attempt++) {
      const reused = kept !== null;
      // The live leases and the queue's counts in one script, at the same instant.
      const [stored, leasesNow] = await Promise.all([kept ?? this.readHealth(ids), readLeases ? this.leases.liveLeases(ids, this.options.queueKeys) : null]);
      let running = leasesNow;
      // The slot being handed over counts as free already; freed before its prompt's end, its GPU is
      // still busy that long (the script records it only now).
      const held = (id: string) => (running?.leases.get(id) ?? []).filter((l) => l.leaseId !== handing?.lease.leaseId);
      const aheadOf = (id: string) => Math.max(running?.aheadMs.get(id) ?? 0, handing?.at === 'finish' && handing.lease.backendId === id ? (handing.aheadMs ?? 0) : 0);
      const open = this.openNow(need, live, stored);
      if (open.length === 0) {
        if (!reused) return freedIf({ lease: null, reason: 'full' });
        kept = null; // judged on a kept read: make sure with a fresh one
        continue;
      }
      // The read was left out for the slot being freed: when its backend may not take the job now
      // (its health changed), the free ones are judged on the leases after all.
      if (!running && freeing && paced && mayWaitForFaster && open.length > 1 && !open.some((c) => c.id === freeing.lease.backendId)) {
        running = await this.leases.liveLeases(ids, this.options.queueKeys);
      }
      let list: LeaseCandidate[] = open.map((c) => ({ id: c.id, capacity: c.capacity }));
      let ordered = false;
      if (paced && open.length > 1) {
        const pace = (id: string) => expected.get(id) ?? 0;
        if (running && mayWaitForFaster) {
          const backends = open.map((c): PacedBackend => {
            const leases = held(c.id);
            return { id: c.id, capacity: c.capacity, used: leases.length, expectedMs: pace(c.id), heldMs: leases.map((l) => l.heldMs), aheadMs: aheadOf(c.id) };
          });
          // The lease being handed over still counts as leased: its job ended (or its prompt did) but
          // is still taken; so do the finishing ones (their prompt ended, their jobs still collect their outputs).
          const leased = ids.reduce((sum, id) => sum + (running.leases.get(id)?.length ?? 0), 0) + running.finishing;
          const waiting = jobsToPlace(running.queue ?? { queued: 0, taken: 0 }, leased);
          if (betterWaitForFaster(backends, waiting)) return freedIf({ lease: null, reason: 'full' });
          // Only where it is worth starting: a GPU taken by another worker since the read leaves the slow ones out.
          const worth = new Set(worthStartingOn(backends, waiting).map((b) => b.id));
          list = list.filter((c) => worth.has(c.id));
        }
        if (!running && freeing && mayWaitForFaster) {
          // The read was left out (above): only backends the tail rule keeps whatever the leases,
          // those at least as fast as the freed one (the script picks by load, not by pace).
          const bound = pace(freeing.lease.backendId);
          list = list.filter((c) => pace(c.id) <= bound);
        }
        // Where it would end first: a GPU still running a prompt freed early (queue-ahead) starts it after that one.
        const endsIn = (id: string) => pace(id) + (running ? aheadOf(id) : 0);
        list = [...list].sort((a, b) => endsIn(a.id) - endsIn(b.id));
        ordered = true;
      }
      // Nothing to lease: the script would not run, so a slot being handed over stays the caller's.
      if (list.length === 0) return freedIf({ lease: null, reason: 'full' });
      const accepting = this.acceptingWindow(live);
      const outcome = await this.leases.acquireChecked(
        { tenantId, candidates: list, tenantCap, ordered },
        {
          // Every live candidate's hash, not only the open ones': one that recovered meanwhile is seen too.
          health: stored ? ids.map((id) => ({ key: healthKey(this.options.prefix, id), rev: stored.get(id)?.rev ?? '', draining: stored.get(id)?.draining ?? false })) : [],
          ...(model ? { warm: { key: this.modelsKey(), model } } : {}),
          ...(handing?.at === 'finish'
            ? { finishing: handing.lease, ...(handing.aheadMs ? { aheadMs: handing.aheadMs } : {}) }
            : handing
              ? { freeing: handing.lease, ...(handing.forgive ? { forgive: handing.forgive } : {}) }
              : {}),
          accepting,
        },
      );
      handing = undefined; // the script freed it, whatever it returned
      // A finished lease that had expired (said after a health change too: the script freed it all the same).
      if (outcome.finishedLive === false) expired = true;
      if ('healthChanged' in outcome) {
        kept = null; // a probe, strike or drain since the read: read again
        continue;
      }
      if (outcome.lease && model) this.warmSeen.set(outcome.lease.backendId, outcome.warm ? model : null);
      if (outcome.lease && outcome.accepting) this.acceptingOpen.set(outcome.lease.leaseId, accepting.boundAt);
      return freedIf(outcome.lease ? { lease: outcome.lease } : { lease: null, reason: outcome.reason });
    }
    return freedIf({ lease: null, reason: 'full' });
  }

  /**
   * Frees the slot of a job that ended. When a job of this worker is waiting for a slot, the
   * earliest of them (queue order) takes it in the same lease script (see handOver): the next
   * prompt starts without the round trips of a release, a wake-up and a lease, and when it takes
   * this very slot no other worker is woken for it. Otherwise, or when that job leaves it (the drain
   * tail's wait for a faster GPU), the slot is released and announced as before. `succeeded`: the
   * lease's job succeeded, so the backend's job strikes are forgiven (FORGIVE_STRIKES_LUA's rule) in
   * the same script as the release or the hand-over (one Redis round trip per job instead of two).
   */
  async release(lease: Lease, succeeded = false): Promise<void> {
    const forgive = succeeded ? this.forgiving(lease) : undefined;
    // A prompt-submission record no submit ended (the job ended before its prompt was sent).
    if (this.acceptingOpen.delete(lease.leaseId)) void this.options.health.endAccepting(lease.backendId, lease.leaseId);
    // Its prompt's end freed its slot already (finish): there is no slot to hand over, only the lease to end.
    if (this.leases.isFinished(lease)) return this.leases.release(lease, forgive);
    if (await this.handOver(forgive ? { lease, at: 'release', forgive } : { lease, at: 'release' })) return;
    await this.leases.release(lease, forgive);
  }

  /**
   * The lease's prompt ended on its backend: its GPU slot is freed for the next job while its job
   * collects its outputs; the lease stays renewed and counted as a job running on the backend
   * until `release` (SlotLeases.finish). When a job of this worker is waiting for a slot, the
   * earliest of them takes the freed one in the same script (a finish that hands over, see
   * handOver: FINISH_HAND_OVER_LEASE instead of FINISH_LEASE, the lease-freed hop and a later
   * lease); otherwise, or when that job leaves it, the slot is announced (and this process's waiting
   * jobs woken through onChange). No strikes are forgiven here: that waits for the recorded
   * success. False when the lease had expired already. `aheadMs` > 0: freed before its prompt's
   * end, expected in that many ms (queue-ahead): the drain tail's rule counts that wait on its GPU
   * (SlotLeases.finish).
   */
  async finish(lease: Lease, aheadMs = 0): Promise<boolean> {
    if (!this.leases.isFinished(lease)) {
      const handed = await this.handOver({ lease, at: 'finish', aheadMs });
      if (handed) {
        // No lease of this process changed, but its settling job now holds a place beside the one that took its slot.
        if (handed.lease?.backendId === lease.backendId) for (const listener of this.inPlace) listener();
        return handed.expired !== true;
      }
    }
    return this.leases.finish(lease, aheadMs);
  }

  /**
   * Calls `listener` whenever a slot went from a job at its prompt's end straight to a waiting job
   * of this worker on the same backend: no lease of this process changed (onChange is not called),
   * but one more of its jobs holds a place of its concurrency (the settling one). Returns the
   * unsubscribe.
   */
  onHandedOverInPlace(listener: () => void): () => void {
    this.inPlace.add(listener);
    return () => this.inPlace.delete(listener);
  }

  /**
   * Offers `freeing`'s slot to one job of this worker waiting for one: the earliest in queue order
   * among the takers, the jobs between two slot attempts (offerHandOver). A job mid-attempt, or
   * just taken from the queue before its first attempt, is not a taker even when it comes earlier
   * (it tries again at its next wake-up); the others are not offered the slot when the chosen one
   * cannot take it (release hand-overs on main pick the same way):
   * that job takes a lease by its own choice among its candidates, as any attempt (`tryAcquire`
   * with the lease to free), in the script that frees `freeing`. The attempt's outcome when the
   * script freed it; null when nobody waits or it was not freed (the waiting job left it, or Redis
   * failed and it is unknown): the caller then frees it as without a taker.
   */
  private async handOver(freeing: Freeing): Promise<TryAcquireOutcome | null> {
    let taker: Taker | undefined;
    for (const t of this.takers) if (!taker || before(t.place, taker.place)) taker = t;
    if (!taker) return null;
    this.takers.delete(taker);
    const chosen = taker;
    let freed: TryAcquireOutcome | null = null;
    chosen.taking = chosen.take(freeing).then(
      (outcome) => {
        if (outcome.freed) freed = outcome;
        if (outcome.lease) chosen.got.abort();
        return outcome.lease;
      },
      () => null,
    );
    await chosen.taking;
    return freed;
  }

  /** What the release or hand-over script needs to forgive the job strikes of a lease's backend. */
  private forgiving(lease: Lease): { healthKey: string; ttlMs: number } {
    return { healthKey: healthKey(this.options.prefix, lease.backendId), ttlMs: this.options.health.store.ttlMs };
  }

  /**
   * Runs `submit` (handing the lease's prompt to its backend) with the backend marked as accepting
   * a prompt (BackendHealth.whileAccepting). The lease script started that record with the lease
   * already, when its backend's driver reports submissions: then only its end is written here (one
   * Redis script per dispatch instead of two); otherwise the whole record is.
   */
  whileAccepting<T>(lease: Lease, submit: () => Promise<T>): Promise<T> {
    const boundAt = this.acceptingOpen.get(lease.leaseId);
    this.acceptingOpen.delete(lease.leaseId);
    if (boundAt === undefined) return this.options.health.whileAccepting(lease.backendId, submit);
    // Staging the inputs (or PostgreSQL trouble) took half the record's bound since the lease: the
    // submit gets a whole bound of its own, as it would without the lease's record.
    if (this.options.health.clock.now() <= boundAt - ACCEPTING_BOUND_MS / 2) return this.options.health.acceptingAs(lease.backendId, lease.leaseId, submit);
    void this.options.health.endAccepting(lease.backendId, lease.leaseId);
    return this.options.health.whileAccepting(lease.backendId, submit);
  }

  /**
   * Offers a waiting job the slots this worker's jobs free (at their prompt's end or their
   * attempt's end: see finish and release) until `done()`,
   * which returns the lease one gave it (after waiting for a hand-over in flight), else null.
   * `signal` fires when it got one.
   */
  offerHandOver(place: QueuePlace, take: (freeing: Freeing) => Promise<TryAcquireOutcome>): { signal: AbortSignal; done(): Promise<Lease | null> } {
    const taker: Taker = { place, take, got: new AbortController(), taking: null };
    this.takers.add(taker);
    return {
      signal: taker.got.signal,
      done: async () => {
        this.takers.delete(taker);
        return taker.taking ? await taker.taking : null;
      },
    };
  }

  /**
   * Free slots on this worker's backends that may take new jobs now (healthy or not yet probed,
   * not draining), for the intake gate: health and leases read in one round trip; the health read
   * is kept for the next lease attempt.
   */
  async freeSlots(): Promise<number> {
    const members = this.all();
    const ids = members.map((c) => c.id);
    const { health, live } = await this.leases.readWithHealth(ids, (id) => healthKey(this.options.prefix, id));
    const stored = new Map([...health].map(([id, hash]) => [id, storedHealthOf(hash)]));
    this.rememberHealth(stored);
    return this.openNow({ nodeTypes: [] }, members, stored).reduce((sum, c) => sum + Math.max(0, c.capacity - (live[c.id] ?? 0)), 0);
  }

  /**
   * The members whose health allows new jobs now (healthy or not yet probed, not draining), for
   * the intake gate. If Redis cannot be read, every one passes: health must not stop a working fleet.
   */
  async dispatchable(members: BackendConfig[]): Promise<BackendConfig[]> {
    return this.eligibleNow({ nodeTypes: [] }, members);
  }

  /** A slot was freed (here or by another worker): every job waiting for one tries again now. */
  slotFreed(): void {
    const waiters = [...this.freedWaiters];
    this.freedWaiters.clear();
    for (const w of waiters) w.abort();
  }

  /** A signal that fires at the next `slotFreed()`; call `done()` when no longer waiting. */
  whenSlotFreed(): { signal: AbortSignal; done(): void } {
    const controller = new AbortController();
    this.freedWaiters.add(controller);
    return { signal: controller.signal, done: () => this.freedWaiters.delete(controller) };
  }

  /**
   * Remembers which model a backend has loaded, for warm-model affinity. Skipped when the map
   * already named this model at this worker's last read of it (just before the lease, as a rule):
   * the hint is then unchanged, and a write per job was a Redis command per job for nothing.
   */
  async noteModel(backendId: string, model: string | null): Promise<void> {
    if (!model || this.warmSeen.get(backendId) === model) return;
    await this.options.redis.hset(this.modelsKey(), backendId, model);
    this.warmSeen.set(backendId, model);
  }

  /** Reconciles the members with the registry's list (also refreshes what probes learned: VRAM, inventory). */
  sync(records: readonly BackendRecord[]): void {
    this.records = new Map(records.map((r) => [r.id, r]));
    for (const record of records) {
      const current = this.live.get(record.id);
      const config: BackendConfig = { id: record.id, kind: record.kind, url: record.url, capacity: record.capacity, tags: [...record.tags] };
      if (current && current.config.url === config.url && current.config.kind === config.kind) {
        current.config = config; // capacity or tags changed: same driver
        continue;
      }
      const driver = this.options.createDriver(record);
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
      if (!this.records.has(id)) {
        this.retire(member);
        this.log.info({ backend: id }, 'fleet: backend removed');
      }
    }
    void this.closeIdleRetired();
  }

  /**
   * Closes retired drivers that no job uses any more (call periodically): no live lease on the
   * backend, finishing ones included (a job collecting its outputs through the driver), and no job
   * of this worker settling on it.
   */
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
      if ((inFlight[id] ?? 0) > 0 || this.settling.on(id) > 0) continue;
      const members = this.retired.get(id) ?? [];
      this.retired.delete(id);
      await Promise.all(members.map((m) => m.driver.close().catch(() => undefined)));
    }
  }

  async close(): Promise<void> {
    const all = [...this.live.values(), ...[...this.retired.values()].flat()];
    this.live.clear();
    this.retired.clear();
    await Promise.all(all.map((m) => m.driver.close()));
  }

  /** The candidates eligible now: the same rule, with the live health and drain flag from Redis. */
  private async eligibleNow(need: JobNeed, candidates: BackendConfig[]): Promise<BackendConfig[]> {
    return this.openNow(need, candidates, await this.readHealth(candidates.map((c) => c.id)));
  }

  /** The candidates eligible by this health read; all of them when there is none (Redis could not be read). */
  private openNow(need: JobNeed, candidates: BackendConfig[], stored: Map<string, StoredHealth> | null): BackendConfig[] {
    if (!stored) return candidates;
    return candidates.filter((c) => {
      const view: HealthView = this.options.health.view(stored.get(c.id) ?? { snapshot: null, draining: false }, this.records.get(c.id)?.draining ?? false);
      return explainEligibility(need, this.asEligible(c, view.state, view.draining)).eligible;
    });
  }

  /** Reads the backends' health (kept for later lease attempts); null when Redis could not be read: health must not stop a working fleet. */
  private async readHealth(ids: string[]): Promise<Map<string, StoredHealth> | null> {
    try {
      const stored = await this.healthHashes(ids);
      this.rememberHealth(stored);
      return stored;
    } catch (err) {
      this.log.debug({ err }, 'fleet: could not read backend health; not filtering');
      return null;
    }
  }

  private rememberHealth(stored: Map<string, StoredHealth>): void {
    const at = this.options.health.clock.now();
    for (const [id, health] of stored) this.healthSeen.set(id, { stored: health, at });
  }

  /** The kept health of every one of `ids`, when all of it is recent enough; else null. */
  private recalledHealth(ids: string[]): Map<string, StoredHealth> | null {
    const now = this.options.health.clock.now();
    const out = new Map<string, StoredHealth>();
    for (const id of ids) {
      const seen = this.healthSeen.get(id);
      if (!seen || now - seen.at > HEALTH_REUSE_MS || now < seen.at) return null;
      out.set(id, seen.stored);
    }
    return out;
  }

  /**
   * The backends' health hashes: a read already in flight for the same backends is joined rather
   * than repeated (a freed slot wakes the intake gate and the waiting jobs at once, and each read
   * the same hashes). Nothing is kept here once the read settled.
   */
  private healthHashes(ids: string[]): Promise<Map<string, StoredHealth>> {
    const key = ids.join('\n');
    if (this.healthRead?.key === key) return this.healthRead.stored;
    const read = { key, stored: this.options.health.store.readMany(ids) };
    this.healthRead = read;
    const settled = () => {
      if (this.healthRead === read) this.healthRead = null;
    };
    read.stored.then(settled, settled);
    return read.stored;
  }

  private asEligible(config: BackendConfig, state: EligibilityBackend['state'], draining?: boolean): EligibilityBackend {
    const record = this.records.get(config.id);
    return { id: config.id, kind: config.kind, tags: config.tags, info: record?.info ?? null, state, draining: draining ?? record?.draining ?? false };
  }

  private retire(member: FleetMember): void {
    this.live.delete(member.config.id);
    this.retired.set(member.config.id, [...(this.retired.get(member.config.id) ?? []), member]);
  }

  /**
   * The prompt-submission record a lease starts (see whileAccepting): on the health's clock, for
   * the ComfyUI backends (only their driver reports a prompt's submission, through `submitting`).
   */
  private acceptingWindow(candidates: readonly BackendConfig[]): { now: number; boundAt: number; backends: ReadonlySet<string> } {
    const now = this.options.health.clock.now();
    return { now, boundAt: now + ACCEPTING_BOUND_MS, backends: new Set(candidates.filter((c) => c.kind === 'comfyui').map((c) => c.id)) };
  }

  private modelsKey(): string {
    return `${this.options.prefix}:backend-models`;
  }
}
