/**
 * The per-backend circuit breaker as pure functions over a {@link HealthSnapshot}: no clock, no
 * Redis. {@link BackendHealth} applies them atomically to the shared state in Redis.
 *
 * closed ──(failures + strikes ≥ threshold)──▶ open ──(cooldown elapsed)──▶ half-open
 *    ▲                                                                        │ one probe
 *    └────────────────────────── success ◀───────────────────────────────────┤
 *                                 failure: open again for another cooldown ◀──┘
 *
 * Two kinds of failure count towards opening: failed health probes (reset by a successful probe)
 * and job-level strikes reported by the dispatch path (reset by a job that succeeds on the
 * backend, or when the breaker closes). A backend that answers its probes but fails every job
 * therefore still opens after `threshold` strikes.
 */

/** Stored phase; `half_open` is never stored: it is `open` once `openUntil` has passed. */
export type StoredBreakerPhase = 'closed' | 'open';

/** What a client sees of the breaker. */
export type BreakerPhase = 'closed' | 'open' | 'half_open';

export interface BreakerConfig {
  /** Consecutive failures (probe failures + job strikes) that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker stays open before one half-open probe. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerConfig = { failureThreshold: 3, cooldownMs: 30_000 };

/** Everything Gantry shares about one backend's health (one Redis hash). Times in ms since epoch. */
export interface HealthSnapshot {
  /** Outcome of the last probe: true up, false down, null never probed. */
  up: boolean | null;
  phase: StoredBreakerPhase;
  /** When an open breaker may be probed again (half-open); null when closed. */
  openUntil: number | null;
  /** Consecutive failed probes. */
  probeFailures: number;
  /** Consecutive job-level failures reported by the dispatch path. */
  strikes: number;
  lastProbeAt: number | null;
  lastOkAt: number | null;
  lastError: string | null;
  /** What the last successful probe learned. */
  version: string | null;
  deviceName: string | null;
  vramTotalMb: number | null;
  vramFreeMb: number | null;
  /** How many node types the backend offers (ComfyUI), null until learned. */
  nodeTypeCount: number | null;
  /** When the node types were last fetched. */
  nodeTypesAt: number | null;
  /** Fingerprint of the info last persisted to PostgreSQL (persist only on change). */
  infoHash: string | null;
}

/** The state of a backend nobody has probed yet. */
export function emptySnapshot(): HealthSnapshot {
  return {
    up: null,
    phase: 'closed',
    openUntil: null,
    probeFailures: 0,
    strikes: 0,
    lastProbeAt: null,
    lastOkAt: null,
    lastError: null,
    version: null,
    deviceName: null,
    vramTotalMb: null,
    vramFreeMb: null,
    nodeTypeCount: null,
    nodeTypesAt: null,
    infoHash: null,
  };
}

/** Probe failures and strikes since the last success. */
export function consecutiveFailures(s: HealthSnapshot): number {
  return s.probeFailures + s.strikes;
}

/** The breaker as clients see it: an open breaker whose cooldown has passed is half-open. */
export function breakerPhase(s: HealthSnapshot, now: number): BreakerPhase {
  if (s.phase === 'closed') return 'closed';
  return s.openUntil !== null && now >= s.openUntil ? 'half_open' : 'open';
}

/** Whether a health probe should run now: always when closed, once the cooldown is over when open. */
export function probeDue(s: HealthSnapshot, now: number): boolean {
  return breakerPhase(s, now) !== 'open';
}

function open(s: HealthSnapshot, now: number, config: BreakerConfig): HealthSnapshot {
  return { ...s, phase: 'open', openUntil: now + config.cooldownMs };
}

/** A successful probe: the backend is up; a half-open breaker closes (and forgets its strikes). */
export function onProbeSuccess(s: HealthSnapshot, now: number): HealthSnapshot {
  const next: HealthSnapshot = { ...s, up: true, probeFailures: 0, lastProbeAt: now, lastOkAt: now, lastError: null };
  if (breakerPhase(s, now) === 'half_open') return { ...next, phase: 'closed', openUntil: null, strikes: 0 };
  return next;
}

/**
 * A probe that timed out while the backend was busy accepting a prompt (validating a huge
 * workflow in its event loop, as ComfyUI does): it proves neither up nor down, so it changes
 * nothing but the probe time; the failure count and the breaker are left as they were.
 */
export function onProbeInconclusive(s: HealthSnapshot, now: number): HealthSnapshot {
  return { ...s, lastProbeAt: now };
}

/**
 * A failed probe: one more consecutive failure; a closed breaker opens at the threshold, a
 * half-open one opens again for another cooldown (an open one in its cooldown is left alone).
 */
export function onProbeFailure(s: HealthSnapshot, now: number, error: string, config: BreakerConfig): HealthSnapshot {
  const next: HealthSnapshot = { ...s, up: false, probeFailures: s.probeFailures + 1, lastProbeAt: now, lastError: error };
  const phase = breakerPhase(s, now);
  if (phase === 'half_open') return open(next, now, config);
  if (phase === 'closed' && consecutiveFailures(next) >= config.failureThreshold) return open(next, now, config);
  return next;
}

/**
 * A job-level failure on the backend (reported by the dispatch path): counts towards opening a
 * closed breaker. Strikes while open change nothing but the count (they come from jobs started
 * before it opened).
 */
export function onStrike(s: HealthSnapshot, now: number, config: BreakerConfig): HealthSnapshot {
  const next: HealthSnapshot = { ...s, strikes: s.strikes + 1 };
  if (s.phase === 'closed' && consecutiveFailures(next) >= config.failureThreshold) return open(next, now, config);
  return next;
}

// A job that succeeded on the backend forgives its strikes (an open breaker stays open): a single
// field set in Redis without a read, so it lives in the slot release script (FORGIVE_STRIKES_LUA), not here.
