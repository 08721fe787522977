import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '@gantry/domain';
import type { RedisClient } from '@gantry/queue';
import {
  breakerPhase,
  DEFAULT_BREAKER,
  emptySnapshot,
  onProbeFailure,
  onProbeInconclusive,
  onProbeSuccess,
  onStrike,
  type BreakerConfig,
  type BreakerPhase,
  type HealthSnapshot,
} from './breaker.js';
import { HealthStore } from './health-store.js';
import type { ProbeResult } from './probes/probe-types.js';
import { deriveState, isDispatchable, type BackendState } from './states.js';

/**
 * Longest a prompt submission is taken as in flight when its worker never reports the end (it
 * died): well past the ComfyUI driver's request timeout (10 s), which ends a live one.
 */
export const ACCEPTING_BOUND_MS = 30_000;

export interface BackendHealthOptions {
  /** Redis key prefix (GANTRY_QUEUE_PREFIX). */
  prefix: string;
  breaker?: Partial<BreakerConfig>;
  /** TTL of the health hashes; default max(60 s, 3 cooldowns). */
  ttlMs?: number;
  /** Time of breaker transitions and state derivation (default the system clock; tests move a ManualClock). */
  clock?: Clock;
}

/** A backend's health as dispatch and the API consume it. */
export interface HealthView {
  state: BackendState;
  /** `isDispatchable(state)`: whether new jobs may go there now. */
  dispatchable: boolean;
  breaker: BreakerPhase;
  /** Null when nothing is known yet. */
  snapshot: HealthSnapshot | null;
  /** The drain flag mirrored in Redis (the caller's PostgreSQL flag is ORed in). */
  draining: boolean;
}

/**
 * The shared health of the fleet: the breaker's transitions applied atomically to the Redis
 * snapshots, and the derived states. Workers record probes (through the HealthMonitor) and job
 * strikes; the API and dispatch read states.
 */
export class BackendHealth {
  readonly store: HealthStore;
  readonly breaker: BreakerConfig;
  readonly clock: Clock;

  constructor(redis: RedisClient, options: BackendHealthOptions) {
    this.breaker = { ...DEFAULT_BREAKER, ...options.breaker };
    this.store = new HealthStore(redis, { prefix: options.prefix, ttlMs: options.ttlMs ?? Math.max(60_000, 3 * this.breaker.cooldownMs) });
    this.clock = options.clock ?? systemClock;
  }

  /**
   * Applies a probe's outcome: success resets the probe failures (and closes a half-open
   * breaker), failure counts towards opening it. `infoHash` records what was persisted.
   */
  async recordProbe(backendId: string, result: ProbeResult, extra: { infoHash?: string } = {}): Promise<HealthSnapshot> {
    const now = this.clock.now();
    const written = await this.store.update(backendId, (current) => {
      const s = current ?? emptySnapshot();
      if (!result.ok) return onProbeFailure(s, now, result.error, this.breaker);
      const next = onProbeSuccess(s, now);
      next.version = result.facts.version;
      next.deviceName = result.facts.deviceName;
      next.vramTotalMb = result.facts.vramTotalMb;
      next.vramFreeMb = result.facts.vramFreeMb;
      if (result.nodeTypes) next.nodeTypeCount = result.nodeTypes.length;
      if (result.nodeTypes || result.models) next.nodeTypesAt = now; // the inventory was fetched
      if (extra.infoHash) next.infoHash = extra.infoHash;
      return next;
    });
    return written!;
  }

  /**
   * Records a probe that timed out while the backend was accepting a prompt (see
   * {@link whileAccepting}): neither a success nor a failure, only the probe time is kept.
   */
  async recordInconclusiveProbe(backendId: string): Promise<HealthSnapshot> {
    const now = this.clock.now();
    return (await this.store.update(backendId, (current) => onProbeInconclusive(current ?? emptySnapshot(), now)))!;
  }

  /**
   * Runs `submit` (the request that hands a prompt to the backend) with the backend marked as
   * accepting a prompt in the shared health, for every worker's monitor to see: a real ComfyUI
   * validates `POST /prompt` in its event loop, so while it takes a huge workflow it answers no
   * probe, and such a probe's timeout says busy, not down. The mark ends with `submit`, or after
   * `boundMs` if this process dies first. Redis trouble never fails the submit.
   */
  async whileAccepting<T>(backendId: string, submit: () => Promise<T>, boundMs = ACCEPTING_BOUND_MS): Promise<T> {
    const token = randomUUID();
    const started = this.clock.now();
    // Not awaited before the submit: the mark lands within a round trip, long before a probe of a
    // backend stuck validating could time out, and the prompt does not wait for Redis.
    const marked = this.store.beginAccepting(backendId, token, started, started + boundMs).then(
      () => true,
      () => false,
    );
    return this.acceptingAs(backendId, token, submit, marked);
  }

  /**
   * Runs `submit` for a submission whose record another script already started as `token` (the
   * slot lease script, see WorkerFleet.whileAccepting), and ends the record with it.
   */
  async acceptingAs<T>(backendId: string, token: string, submit: () => Promise<T>, marked: Promise<boolean> = Promise.resolve(true)): Promise<T> {
    try {
      return await submit();
    } finally {
      if (await marked) await this.endAccepting(backendId, token);
    }
  }

  /** Ends the record of a submission (a no-op when there is none); Redis trouble is ignored. */
  async endAccepting(backendId: string, token: string): Promise<void> {
    await this.store.endAccepting(backendId, token, this.clock.now()).catch(() => undefined);
  }

  /**
   * Records a job-level failure against a backend (the dispatch path calls this when a job fails
   * there for a reason that points at the backend: lost connection, crash, out of memory…).
   * `failureThreshold` consecutive failures (probe failures + strikes) open the breaker.
   */
  async recordStrike(backendId: string): Promise<HealthSnapshot> {
    const now = this.clock.now();
    return (await this.store.update(backendId, (current) => onStrike(current ?? emptySnapshot(), now, this.breaker)))!;
  }

  /**
   * Makes the next probe of a backend (by any worker) fetch its inventory again and persist it,
   * e.g. after a run found a model missing there that its inventory listed.
   */
  async requestInventoryRefresh(backendId: string): Promise<void> {
    await this.store.update(backendId, (current) => (current ? { ...current, nodeTypesAt: null, infoHash: null } : null));
  }

  /** The view of one snapshot, with the PostgreSQL drain flag ORed into Redis' mirror. */
  view(stored: { snapshot: HealthSnapshot | null; draining: boolean }, draining = false): HealthView {
    const now = this.clock.now();
    const isDraining = draining || stored.draining;
    const state = deriveState(stored.snapshot, isDraining, now);
    const breaker = stored.snapshot ? breakerPhase(stored.snapshot, now) : 'closed';
    return { state, dispatchable: isDispatchable(state), breaker, snapshot: stored.snapshot, draining: isDraining };
  }

  /** Health views of several backends in one Redis round trip. */
  async views(backends: readonly { id: string; draining?: boolean }[]): Promise<Map<string, HealthView>> {
    const stored = await this.store.readMany(backends.map((b) => b.id));
    return new Map(backends.map((b) => [b.id, this.view(stored.get(b.id) ?? { snapshot: null, draining: false }, b.draining ?? false)]));
  }
}
