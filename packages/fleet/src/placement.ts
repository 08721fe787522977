/**
 * Speed-aware placement: on a fleet of mixed GPUs, a job should go where it finishes first. A
 * worker learns each backend's pace (how long it held a slot per job, `BackendPace`) and, once it
 * knows every candidate's, (1) tries free backends fastest first and (2) in the drain tail leaves a
 * job for a much faster busy GPU instead of starting it on a slow free one, when the faster GPUs
 * will get through every waiting job before the slow one would finish this one. How far each busy
 * GPU is through its current job comes from its leases' start times (SlotLeases.liveLeases).
 */

/** Observations of a backend before its pace is trusted. */
const MIN_OBSERVATIONS = 3;
/** Weight of the newest observation in the moving average. */
const ALPHA = 0.2;

/** Per-backend moving average of the slot time of a job (lease → release, successful runs only). */
export class BackendPace {
  private readonly paces = new Map<string, { ms: number; n: number }>();

  observe(backendId: string, ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const p = this.paces.get(backendId);
    if (!p) this.paces.set(backendId, { ms, n: 1 });
    else this.paces.set(backendId, { ms: p.ms + ALPHA * (ms - p.ms), n: p.n + 1 });
  }

  /** Expected slot time of a job on the backend (ms), or null while too little is known. */
  expectedMs(backendId: string): number | null {
    const p = this.paces.get(backendId);
    return p && p.n >= MIN_OBSERVATIONS ? p.ms : null;
  }
}

export interface PacedBackend {
  id: string;
  capacity: number;
  /** Live leases on it now. */
  used: number;
  expectedMs: number;
  /**
   * How long each of its live leases has been held (ms), when known: a job that ran longer is
   * nearer its end. A lease not listed here (or null) is assumed half-way through its job.
   */
  heldMs?: readonly (number | null)[];
}

/** A busy backend counts as much faster when its jobs take less than this share of the free one's. */
const MUCH_FASTER = 1 / 1.5;

/** The free backends, fastest first (ties keep their order). */
export function freeFastestFirst(backends: readonly PacedBackend[]): PacedBackend[] {
  return backends.filter((b) => b.used < b.capacity).sort((a, b) => a.expectedMs - b.expectedMs);
}

/**
 * When each slot of a full backend frees, from now (ms): its job's expected slot time minus how
 * long it has held the slot (at least 0: an overdue job may end any moment), half the expected
 * time when that is unknown. One entry per slot (its capacity), the soonest first.
 */
export function slotsFreeInMs(b: PacedBackend): number[] {
  const remaining = Array.from({ length: b.used }, (_, i) => {
    const held = b.heldMs?.[i];
    return held === null || held === undefined ? b.expectedMs / 2 : Math.max(0, b.expectedMs - held);
  });
  return remaining.sort((x, y) => x - y).slice(0, b.capacity);
}

/**
 * Whether a job should wait for a faster busy backend rather than take the fastest free one:
 * within the time the free one would need for this job, the much faster busy backends finish at
 * least `waiting` jobs, this one included: each slot first its current job (when it frees, by its
 * lease's start: slotsFreeInMs), then one job per expected slot time. That is the earliest-finish
 * placement of the jobs still to place: the last ones go to whichever GPU finishes them first,
 * and a slow free GPU gets one only when it would finish it before the fast ones get to it. With a
 * backlog that is never the case, so every slot keeps working. False when nothing is free (the
 * caller waits anyway) or nothing is much faster.
 */
export function betterWaitForFaster(backends: readonly PacedBackend[], waiting: number): boolean {
  const free = freeFastestFirst(backends)[0];
  if (!free) return false;
  const horizon = free.expectedMs;
  let finished = 0;
  for (const b of backends) {
    if (b.used < b.capacity || b.expectedMs > horizon * MUCH_FASTER || b.expectedMs <= 0) continue;
    for (const freesIn of slotsFreeInMs(b)) finished += Math.max(0, Math.floor((horizon - freesIn) / b.expectedMs));
  }
  return finished >= waiting;
}

/** The render queue as a lease attempt sees it: jobs waiting in it, and jobs workers have taken (BullMQ active). */
export interface QueueCounts {
  queued: number;
  taken: number;
}

/**
 * Jobs still to place, this one included: those waiting in the queue plus those workers took and
 * that hold no slot yet (taken − live leases; they look for one, up to a couple per worker). In
 * the tail the queue is empty while every worker still holds jobs without a slot: counting only
 * the queue, each of them would think it is the last and wait for a fast GPU while slower free
 * ones idle. At least 1 (counts read a moment apart may disagree).
 */
export function jobsToPlace(counts: QueueCounts, leased: number): number {
  return Math.max(1, counts.queued + Math.max(0, counts.taken - leased));
}

/** Whether any busy backend is much faster than the fastest free one (only then is the queue depth worth reading). */
export function fasterBusyExists(backends: readonly PacedBackend[]): boolean {
  const free = freeFastestFirst(backends)[0];
  return free !== undefined && backends.some((b) => b.used >= b.capacity && b.expectedMs <= free.expectedMs * MUCH_FASTER);
}
