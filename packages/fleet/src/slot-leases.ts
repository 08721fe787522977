import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '@gantry/domain';
import { leaseFreedChannel, runScript, subscribeChannel, type RedisClient, type Unsubscribe } from '@gantry/queue';
import { acceptingKey } from './health/health-keys.js';
import { acceptingWindow } from './health/health-store.js';
import type { QueueCounts } from './placement.js';
import { ACQUIRE_LEASE, COUNT_LIVE_LEASES, FINISH_HAND_OVER_LEASE, FINISH_LEASE, HAND_OVER_LEASE, leaseStartMs, READ_FLEET_STATE, READ_LIVE_LEASES, RELEASE_LEASE, RENEW_LEASE } from './lease-script.js';

export interface LeaseCandidate {
  id: string;
  capacity: number;
  /** The backend already holds the job's model (preferred among equally loaded ones). */
  warm?: boolean;
}

export interface Lease {
  /** Its member in Redis: a random id and when it was taken (`<id>@<start>`, see leaseStartMs). */
  leaseId: string;
  backendId: string;
  tenantId: string;
}

export type DispatchPolicy = 'least-connections' | 'round-robin';

export interface SlotLeasesOptions {
  prefix: string;
  /** A lease not renewed for this long is reclaimed (default 15 s). */
  ttlMs?: number;
  /** Default least-connections; round-robin exists as the benchmark's baseline. */
  policy?: DispatchPolicy;
}

export interface AcquireRequest {
  tenantId: string;
  candidates: LeaseCandidate[];
  /** Running jobs the tenant may have at once across the fleet (0 or undefined: no cap). */
  tenantCap?: number;
  /**
   * Least-connections only: the candidates are in order of preference (e.g. fastest first), so
   * equally loaded ones go to the earliest instead of rotating.
   */
  ordered?: boolean;
}

/** The render queue's keys that SlotLeases.liveLeases counts (BullMQ's `queue.keys`: lists wait and active, sorted set prioritized). */
export interface QueueCountKeys {
  wait: string;
  prioritized: string;
  active: string;
}

/** A live lease as SlotLeases.liveLeases reads it. */
export interface LiveLease {
  leaseId: string;
  /** How long it has been held (Redis's clock); null when unknown. */
  heldMs: number | null;
}

/** Why no lease was granted. */
export type AcquireOutcome = { lease: Lease } | { lease: null; reason: 'full' | 'tenant-cap' };

/** A backend's health hash as the caller read it: `rev` ('' when absent) and the drain flag. */
export interface HealthSeen {
  key: string;
  rev: string;
  draining: boolean;
}

/** With `finishing`: false when that lease had expired (it was not live to move). */
type FinishedLive = { finishedLive?: boolean };

/**
 * acquireChecked's answer: ACQUIRE_LEASE's outcome (a granted lease says whether its backend was
 * warm and whether its prompt-submission record was started), or `healthChanged` (nothing taken).
 */
export type CheckedOutcome =
  | (AcquireOutcome & { warm?: boolean; accepting?: boolean } & FinishedLive)
  | ({ healthChanged: true; lease: null } & FinishedLive);

/** What acquireChecked checks and reads in the same script as the lease. */
export interface AcquireChecks {
  /** Health hashes the caller judged eligibility from: any change since (a probe, a strike, a drain) takes nothing. */
  health?: readonly HealthSeen[];
  /** The warm-model map and the job's model: candidates whose entry names it are warm (their `warm` flags are ignored). */
  warm?: { key: string; model: string };
  /**
   * Start the chosen backend's prompt-submission record with the lease, in the same script (see
   * HealthStore.beginAccepting; the record's token is the lease id): `now` and `boundAt` on the
   * health's clock, only for the candidates in `backends` (those whose driver reports submissions).
   */
  accepting?: { now: number; boundAt: number; backends: ReadonlySet<string> };
  /**
   * A lease this process holds whose job ended: it is freed in the same script, whatever the
   * outcome, and its slot announced to the other workers only when the new lease is not on its
   * backend (a hand-over, see WorkerFleet.release).
   */
  freeing?: Lease;
  /** With `freeing`: its job succeeded, so forgive its backend's job strikes in the same script (the health hash and its TTL). */
  forgive?: { healthKey: string; ttlMs: number };
  /**
   * Instead of `freeing`: a lease this process holds whose prompt ended, finished in the same
   * script (as `finish`: it moves to its backend's finishing set, its slot is freed) whatever the
   * outcome, and its slot announced only when the new lease is not on its backend (a finish that
   * hands over, see WorkerFleet.finish).
   */
  finishing?: Lease;
  /** With `finishing`: its slot is freed before its prompt's end, expected in this many ms (queue-ahead; see finish). */
  aheadMs?: number;
}

/** Backend slot leases in Redis, shared by all workers; see lease-script.ts for the algorithm. */
export class SlotLeases {
  private readonly ttlMs: number;
  private rotation = Math.floor(Math.random() * 1_000_000);
  private held = 0;
  /** Names this process's releases on the lease-freed channel, so it skips its own (onChange saw them). */
  private readonly instance = randomUUID();
  private readonly listeners = new Set<(delta: 1 | -1) => void>();
  /** Leases a hand-over's script freed (counted then): a later release of one changes nothing. */
  private readonly handedOver = new WeakSet<Lease>();
  /** Leases whose prompt ended (finish, counted then): their slot was freed and announced; their release only ends them. */
  private readonly finished = new WeakSet<Lease>();
  /** Leases whose finish failed (a Redis error): still held, but possibly in the finishing set already. */
  private readonly finishUnknown = new WeakSet<Lease>();

  constructor(
    private readonly redis: RedisClient,
    private readonly options: SlotLeasesOptions,
  ) {
    this.ttlMs = options.ttlMs ?? 15_000;
  }

  get leaseTtlMs(): number {
    return this.ttlMs;
  }

  get policy(): DispatchPolicy {
    return this.options.policy ?? 'least-connections';
  }

  /** Leases this process holds right now (acquired and not yet released). */
  get heldByThisProcess(): number {
    return this.held;
  }

  /** Called whenever this process acquires (+1) or releases (-1) a lease. */
  onChange(listener: (delta: 1 | -1) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(delta: 1 | -1): void {
    this.held = Math.max(0, this.held + delta);
    for (const l of this.listeners) l(delta);
  }

  key(backendId: string): string {
    return `${this.options.prefix}:lease:${backendId}`;
  }

  /** A backend's finishing set: leases whose prompt ended there while their job still runs (see finish). */
  finishingKey(backendId: string): string {
    return `${this.options.prefix}:finishing:${backendId}`;
  }

  /** A backend's ahead set: finished leases whose prompt still runs there, until its expected end (see finish). */
  aheadKey(backendId: string): string {
    return `${this.options.prefix}:ahead:${backendId}`;
  }

  tenantKey(tenantId: string): string {
    return `${this.options.prefix}:tenant-running:${tenantId}`;
  }

  /** Leases a slot on the best candidate (see the script), or says why none was granted. */
  async acquire(request: AcquireRequest): Promise<AcquireOutcome> {
    const outcome = await this.acquireChecked(request, {});
    // Without health checks the script never says a health hash changed.
    return 'healthChanged' in outcome ? { lease: null, reason: 'full' } : outcome;
  }

  /**
   * `acquire` with `checks` in the same round trip: `healthChanged` when a health hash changed since
   * the caller read it (nothing was taken: read the health again); a granted lease says whether its
   * backend was warm and whether the script started its prompt-submission record (`accepting`).
   * With `finishing`, every outcome says whether that lease was live (`finishedLive`).
   */
  async acquireChecked(request: AcquireRequest, checks: AcquireChecks): Promise<CheckedOutcome> {
    const { candidates } = request;
    if (candidates.length === 0) return { lease: null, reason: 'full' };
    const roundRobin = this.options.policy === 'round-robin';
    // Round-robin rotates through one fleet-wide counter; least-connections only needs a local one.
    const offset = roundRobin
      ? await this.redis.incr(`${this.options.prefix}:rr`)
      : request.ordered
        ? 0
        : (this.rotation = (this.rotation + 1) % 1_000_000);
    const health = checks.health ?? [];
    const warm = checks.warm;
    const finishing = checks.finishing;
    // The lease freed in the script: ended (a hand-over at its attempt's end) or finished (at its prompt's end).
    const freeing = finishing ?? checks.freeing;
    const accepting = checks.accepting;
    const window = accepting ? acceptingWindow(accepting.now, accepting.boundAt) : null;
    const run = runScript<[number, number, string, number?]>(
      this.redis,
      finishing ? FINISH_HAND_OVER_LEASE : freeing ? HAND_OVER_LEASE : ACQUIRE_LEASE,
      [
        ...candidates.map((c) => this.key(c.id)),
        this.tenantKey(request.tenantId),
        ...health.map((h) => h.key),
        ...(warm ? [warm.key] : []),
        ...(accepting ? candidates.map((c) => acceptingKey(this.options.prefix, c.id)) : []),
        ...(finishing
          ? [this.key(finishing.backendId), this.finishingKey(finishing.backendId), this.aheadKey(finishing.backendId)]
          : freeing
            ? [this.key(freeing.backendId), this.tenantKey(freeing.tenantId), ...(checks.forgive ? [checks.forgive.healthKey] : [])]
            : []),
      ],
      [
        this.ttlMs,
        randomUUID(),
        offset,
        roundRobin ? 'rr' : 'lc',
        request.tenantCap ?? 0,
        candidates.length,
        health.length,
        warm?.model ?? '',
        ...candidates.flatMap((c) => [c.capacity, c.warm ? 1 : 0]),
        ...health.flatMap((h) => [h.rev, h.draining ? '1' : '0']),
        ...(warm ? candidates.map((c) => c.id) : []),
        ...(accepting && window ? ['1', window.pruneBefore, window.bound, window.ttlMs, ...candidates.map((c) => (accepting.backends.has(c.id) ? '1' : '0'))] : ['0']),
        ...(freeing
          ? [freeing.leaseId, leaseFreedChannel(this.options.prefix), `${this.instance} ${freeing.backendId}`, finishing ? aheadArg(checks.aheadMs) : (checks.forgive?.ttlMs ?? 0)]
          : []),
      ],
    );
    let result: [number, number, string, number?];
    try {
      result = await run;
    } catch (err) {
      // The caller does not know whether the lease was freed: it releases (or finishes) it again;
      // a lease that may be finished already is not handed over by its release (isFinished).
      if (finishing) this.finishUnknown.add(finishing);
      throw err;
    }
    const [code, chosenWarm, leaseId, moved] = result;
    // Freed by the script whatever it returned: counted below, never again by finish() or release()
    // (a finished lease's release only ends it).
    if (finishing) this.finished.add(finishing);
    else if (freeing) this.handedOver.add(freeing);
    const chosen = code > 0 ? candidates[code - 1] : undefined;
    // A slot handed straight to the next job on the same backend changes nothing this process holds.
    if (freeing && chosen?.id !== freeing.backendId) this.changed(-1);
    const finished = finishing ? { finishedLive: Number(moved) === 1 } : {};
    if (code === -2) return { healthChanged: true, lease: null, ...finished };
    if (code === -1) return { lease: null, reason: 'tenant-cap', ...finished };
    if (!chosen) return { lease: null, reason: 'full', ...finished };
    if (!freeing || chosen.id !== freeing.backendId) this.changed(1);
    return { lease: { leaseId, backendId: chosen.id, tenantId: request.tenantId }, warm: chosenWarm === 1, accepting: accepting?.backends.has(chosen.id) === true, ...finished };
  }

  /** Extends a lease (in its slot set, or its finishing set once finished); false means it expired and was reclaimed (the slot may be taken). */
  async renew(lease: Lease): Promise<boolean> {
    const renewed = await runScript<number>(
      this.redis,
      RENEW_LEASE,
      [this.key(lease.backendId), this.tenantKey(lease.tenantId), this.finishingKey(lease.backendId)],
      [lease.leaseId, this.ttlMs],
    );
    return renewed === 1;
  }

  /**
   * The lease's prompt ended on its backend: its GPU slot is freed and announced (the lease-freed
   * channel) while its job keeps running (collecting its outputs): the lease moves to the
   * backend's finishing set, still renewed, still counted by `inFlight` and by its tenant's
   * running cap, not by placement (FINISH_LEASE). This process no longer holds its slot (onChange
   * -1); its release later only ends it. (acquireChecked with `finishing` does the same and hands
   * the slot to another job in one script.) False when the lease had expired already. On an error it
   * is unknown whether it moved: the lease stays held, and its release ends it in either set (and
   * is not handed over: see isFinished). `aheadMs` > 0: the slot is freed before its prompt's
   * end, expected in that many ms (queue-ahead): until then the backend's ahead set says a prompt
   * sent there waits behind it (liveLeases' `aheadMs`), unless the lease is released first.
   */
  async finish(lease: Lease, aheadMs = 0): Promise<boolean> {
    if (this.finished.has(lease) || this.handedOver.has(lease)) return true;
    let moved: number;
    try {
      moved = await runScript<number>(
        this.redis,
        FINISH_LEASE,
        [this.key(lease.backendId), this.finishingKey(lease.backendId), this.aheadKey(lease.backendId)],
        [lease.leaseId, leaseFreedChannel(this.options.prefix), `${this.instance} ${lease.backendId}`, this.ttlMs, aheadArg(aheadMs)],
      );
    } catch (err) {
      this.finishUnknown.add(lease);
      throw err;
    }
    this.finished.add(lease);
    this.changed(-1);
    return moved === 1;
  }

  /**
   * Whether `finish` freed this lease's slot, or may have (it failed): its release must not hand
   * the slot over (a hand-over's script only frees a lease in the slot set), only end the lease.
   */
  isFinished(lease: Lease): boolean {
    return this.finished.has(lease) || this.finishUnknown.has(lease);
  }

  /**
   * Ends the lease, in its slot set or its finishing set, and (unless `finish` freed and
   * announced its slot already) tells every worker (the lease-freed channel) in the same command;
   * with `forgive` (the backend's health hash and its TTL: its job's success was recorded) the
   * backend's job strikes are forgiven in that command too (FORGIVE_STRIKES_LUA in health-store.ts).
   */
  async release(lease: Lease, forgive?: { healthKey: string; ttlMs: number }): Promise<void> {
    // A hand-over freed it already (its caller may not know: the next attempt failed), and forgave with it.
    if (this.handedOver.has(lease)) return;
    const finished = this.finished.has(lease);
    try {
      await runScript(
        this.redis,
        RELEASE_LEASE,
        [this.key(lease.backendId), this.tenantKey(lease.tenantId), this.finishingKey(lease.backendId), this.aheadKey(lease.backendId), ...(forgive ? [forgive.healthKey] : [])],
        [lease.leaseId, finished ? '' : leaseFreedChannel(this.options.prefix), `${this.instance} ${lease.backendId}`, ...(forgive ? [forgive.ttlMs] : [])],
      );
    } finally {
      if (!finished) this.changed(-1);
    }
  }

  /**
   * Calls `listener` with the backend id whenever another process releases a lease (this
   * process's own releases reach `onChange`); `subscriber` is a connection in subscriber mode.
   */
  onFreedElsewhere(subscriber: RedisClient, listener: (backendId: string) => void): Promise<Unsubscribe> {
    return subscribeChannel(subscriber, leaseFreedChannel(this.options.prefix), (message) => {
      const [from, backendId] = message.split(' ');
      if (from !== this.instance && backendId) listener(backendId);
    });
  }

  /**
   * The live leases in each backend's slot set (its GPU's jobs: not the finishing ones) and how
   * long each has been held (ms, by Redis's clock, null when its member does not say when it was
   * taken), and with `queue` the render queue's counts at the same instant, in one round trip
   * (placement's wait estimate). `finishing`: the live leases past their prompt on those backends
   * (their jobs are still taken from the queue, and hold no slot). `aheadMs`: per backend, in how
   * many ms the last prompt whose slot was freed before its end (finish with `aheadMs`) is expected
   * to end; a prompt sent there now waits that long (absent: none).
   */
  async liveLeases(
    backendIds: readonly string[],
    queue?: QueueCountKeys,
  ): Promise<{ leases: Map<string, LiveLease[]>; finishing: number; aheadMs: Map<string, number>; queue: QueueCounts | null }> {
    const keys = [
      ...backendIds.map((id) => this.key(id)),
      ...backendIds.map((id) => this.finishingKey(id)),
      ...backendIds.map((id) => this.aheadKey(id)),
      ...(queue ? [queue.wait, queue.prioritized, queue.active] : []),
    ];
    const [now, queued, taken, finishing, ...rest] = await runScript<[number, number, number, number, ...(string[] | number)[]]>(this.redis, READ_LIVE_LEASES, keys, [backendIds.length]);
    const leases = new Map<string, LiveLease[]>();
    const aheadMs = new Map<string, number>();
    backendIds.forEach((id, i) => {
      const members = rest[i];
      leases.set(
        id,
        (Array.isArray(members) ? members : []).map((leaseId) => {
          const start = leaseStartMs(leaseId);
          return { leaseId, heldMs: start === null ? null : Math.max(0, Number(now) - start) };
        }),
      );
      const ahead = Number(rest[backendIds.length + i] ?? 0);
      if (ahead > 0) aheadMs.set(id, ahead);
    });
    return { leases, finishing: Number(finishing), aheadMs, queue: queue && Number(queued) >= 0 ? { queued: Number(queued), taken: Number(taken) } : null };
  }

  /**
   * Jobs running on each backend (live leases, by Redis's clock): those on its GPU slots and those
   * whose prompt ended there and still collect their outputs (finishing). What operators see as
   * `inFlight`, and what a backend's delete and a retired driver's close wait for.
   */
  async inFlight(backendIds: string[]): Promise<Record<string, number>> {
    if (backendIds.length === 0) return {};
    const keys = backendIds.flatMap((id) => [this.key(id), this.finishingKey(id)]);
    const counts = await runScript<number[]>(this.redis, COUNT_LIVE_LEASES, keys);
    return Object.fromEntries(backendIds.map((id, i) => [id, Number(counts[2 * i] ?? 0) + Number(counts[2 * i + 1] ?? 0)]));
  }

  /** GPU slots in use on each backend (live leases in its slot set; finishing ones freed theirs): placement's and the intake gate's count. */
  async slotsInUse(backendIds: string[]): Promise<Record<string, number>> {
    if (backendIds.length === 0) return {};
    const counts = await runScript<number[]>(this.redis, COUNT_LIVE_LEASES, backendIds.map((id) => this.key(id)));
    return Object.fromEntries(backendIds.map((id, i) => [id, Number(counts[i] ?? 0)]));
  }

  /**
   * The health hashes (as field/value maps) and GPU slots in use (live leases in their slot sets,
   * as slotsInUse) of the given backends, in one round trip (the worker's intake gate); `healthKeyOf` names a backend's health hash.
   */
  async readWithHealth(backendIds: readonly string[], healthKeyOf: (id: string) => string): Promise<{ health: Map<string, Record<string, string>>; live: Record<string, number> }> {
    const health = new Map<string, Record<string, string>>();
    const live: Record<string, number> = {};
    if (backendIds.length === 0) return { health, live };
    const rows = await runScript<[string[], number][]>(this.redis, READ_FLEET_STATE, [...backendIds.map(healthKeyOf), ...backendIds.map((id) => this.key(id))]);
    backendIds.forEach((id, i) => {
      const [flat, count] = rows[i] ?? [[], 0];
      const hash: Record<string, string> = {};
      for (let f = 0; f + 1 < flat.length; f += 2) hash[flat[f]!] = flat[f + 1]!;
      health.set(id, hash);
      live[id] = Number(count);
    });
    return { health, live };
  }

  /** Free GPU slots across the given backends right now (for the worker's intake gate). */
  async freeSlots(candidates: LeaseCandidate[]): Promise<number> {
    const used = await this.slotsInUse(candidates.map((c) => c.id));
    return candidates.reduce((sum, c) => sum + Math.max(0, c.capacity - (used[c.id] ?? 0)), 0);
  }
}

/** A finish's `aheadMs` as its script argument: whole ms, 0 when the prompt ended (or nothing valid was given). */
function aheadArg(aheadMs: number | undefined): number {
  return aheadMs !== undefined && Number.isFinite(aheadMs) && aheadMs > 0 ? Math.ceil(aheadMs) : 0;
}

/**
 * Keeps a lease alive while work runs: renews at a third of the TTL and reports a lost lease
 * (Redis unreachable too long, or the process stalled past the TTL).
 */
export function keepLeaseAlive(leases: SlotLeases, lease: Lease, onLost: () => void, clock: Clock = systemClock): () => void {
  let stopped = false;
  const timer = clock.setInterval(() => {
    leases.renew(lease).then(
      (ok) => {
        if (!ok && !stopped) onLost();
      },
      () => undefined, // a transient Redis error; the next tick retries well within the TTL
    );
  }, Math.max(100, Math.floor(leases.leaseTtlMs / 3)));
  timer.unref();
  return () => {
    stopped = true;
    clock.clear(timer);
  };
}
