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

/**
 * A job's slot time, what BackendPace learns from: its lease → its prompt's end, less the time the
 * prompt waited on the backend behind another one (queue-ahead: sent before the GPU was free, it
 * starts when the prompt before it ends), i.e. from the submission's return (`sentAt`) to the
 * prompt's start (`startedAt`), when it started later. Without that, a GPU fed ahead looks slower
 * by the wait (a GPU of 100 ms per job, fed 100 ms ahead, read as 200 ms), and the drain tail's
 * rule, which compares paces, would send the last jobs to slow GPUs the fast ones would have
 * finished first. A prompt that starts at once loses only its start's latency (a few ms) from its
 * figure, alike on every backend. Without both times (a driver that does not report them), the
 * whole lease → end.
 */
export function slotTimeMs(times: { leasedAt: number; endedAt: number; sentAt: number | null; startedAt: number | null }): number {
  const waited = times.sentAt !== null && times.startedAt !== null ? Math.max(0, times.startedAt - times.sentAt) : 0;
  return Math.max(0, times.endedAt - times.leasedAt - waited);
}

/** Per-backend moving average of the slot time of a job (slotTimeMs: lease → its prompt's end, successful runs only). */
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
  /**
   * How long its GPU is still expected to run prompts whose slots were freed before their end
   * (queue-ahead: SlotLeases.finish with `aheadMs`), from now: a prompt sent there waits that long
   * before it starts. 0 or absent: none.
   */
  aheadMs?: number;
}

/** A busy backend counts as much faster when its jobs take less than this share of the free one's. */
const MUCH_FASTER = 1 / 1.5;

/** The free backends, fastest first (ties keep their order). */
export function freeFastestFirst(backends: readonly PacedBackend[]): PacedBackend[] {
  return backends.filter((b) => b.used < b.capacity).sort((a, b) => a.expectedMs - b.expectedMs);
}

/** How long a prompt sent to the backend now waits before it starts (aheadMs), 0 when nothing runs ahead. */
function waitAheadMs(b: PacedBackend): number {
  return b.aheadMs !== undefined && b.aheadMs > 0 ? b.aheadMs : 0;
}

/**
 * When each slot of a full backend frees, from now (ms): its job's expected slot time minus how
 * long it has held the slot (at least 0: an overdue job may end any moment), half the expected
 * time when that is unknown. While a prompt whose slot was freed early still runs there
 * (aheadMs), the leased jobs wait behind it: each frees only after it, in a whole slot time. One
 * entry per slot (its capacity), the soonest first.
 */
export function slotsFreeInMs(b: PacedBackend): number[] {
  const ahead = waitAheadMs(b);
  const remaining = Array.from({ length: b.used }, (_, i) => {
    if (ahead > 0) return ahead + b.expectedMs;
    const held = b.heldMs?.[i];
    return held === null || held === undefined ? b.expectedMs / 2 : Math.max(0, b.expectedMs - held);
  });
  // Over capacity (lowered since its leases were taken): a slot opens only once the surplus ended too.
  return remaining.sort((x, y) => x - y).slice(Math.max(0, b.used - b.capacity));
}

/**
 * Jobs the much faster busy backends (jobs there take less than 2/3 of `on`'s time) finish within
 * the time `on` needs for one, a wait behind a prompt still running there included (aheadMs):
 * each slot first its current job (when it frees, by its lease's start: slotsFreeInMs), then one
 * job per expected slot time.
 */
function finishedByFaster(backends: readonly PacedBackend[], on: PacedBackend): number {
  const horizon = on.expectedMs + waitAheadMs(on);
  let finished = 0;
  for (const b of backends) {
    if (b === on || b.used < b.capacity || b.expectedMs > horizon * MUCH_FASTER || b.expectedMs <= 0) continue;
    for (const freesIn of slotsFreeInMs(b)) finished += Math.max(0, Math.floor((horizon - freesIn) / b.expectedMs));
  }
  return finished;
}

/**
 * Whether a job may start on backend `on` whatever the other backends' leases are, given that at
 * least `waiting` jobs are still to place (this one included): the most the much faster backends
 * could finish within its time there (plus the longest it may wait behind a prompt still running
 * there, `aheadBoundMs`), every slot of theirs taken to be free now, is fewer than `waiting`, so
 * `worthStartingOn` keeps `on` with any leases and waits ahead up to that bound (and, its cost
 * being monotone in the pace, every backend at least as fast). A hand-over of a slot on such a backend needs no read of
 * the live leases when it is offered only the backends at least as fast as the one it frees (the
 * lease script picks by load, not pace). The fastest
 * backends always pass (nothing is much faster than them).
 */
export function worthStartingOnAnyway(
  backends: ReadonlyArray<Pick<PacedBackend, 'id' | 'capacity' | 'expectedMs'>>,
  on: string,
  waiting: number,
  /** The longest a prompt sent to `on` may wait behind one still running there (queue-ahead's lead; 0 without). */
  aheadBoundMs = 0,
): boolean {
  const target = backends.find((b) => b.id === on);
  if (!target) return false;
  const horizon = target.expectedMs + Math.max(0, aheadBoundMs);
  let most = 0;
  for (const b of backends) {
    if (b.id === on || b.expectedMs > target.expectedMs * MUCH_FASTER || b.expectedMs <= 0) continue;
    most += b.capacity * Math.floor(horizon / b.expectedMs);
  }
  return most < waiting;
}

/**
 * The backends a job may start on, of `waiting` still to place (this one included): those on
 * which it finishes before the much faster busy backends would get to it, i.e. they do not finish
 * all `waiting` jobs within its time there. That is the earliest-finish placement of the last
 * jobs: they go to whichever GPU finishes them first, and a slow GPU gets one only when it would
 * finish it before the fast ones could. With a backlog every backend qualifies, so every slot
 * keeps working; the fastest backend always does. The lease is taken among these only, so a job
 * whose chosen GPU went to another worker meanwhile does not fall through to a slow one.
 */
export function worthStartingOn(backends: readonly PacedBackend[], waiting: number): PacedBackend[] {
  return backends.filter((b) => finishedByFaster(backends, b) < waiting);
}

/**
 * Whether a job should wait for a faster busy backend rather than take a free one: no free
 * backend is worth starting it on (see worthStartingOn). False when nothing is free (the caller
 * waits anyway).
 */
export function betterWaitForFaster(backends: readonly PacedBackend[], waiting: number): boolean {
  return backends.some((b) => b.used < b.capacity) && !worthStartingOn(backends, waiting).some((b) => b.used < b.capacity);
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
 * ones idle. `leased` counts every live lease, a lease being handed over included (its job ended
 * but is still taken). At least 1.
 */
export function jobsToPlace(counts: QueueCounts, leased: number): number {
  return Math.max(1, counts.queued + Math.max(0, counts.taken - leased));
}
