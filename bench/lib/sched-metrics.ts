// Figures of the scheduling benchmark, computed from the jobs table (and the job_events `state`
// events) of one run. Pure functions: rows in, numbers out. All times are epoch milliseconds.

export interface SimBackend {
  id: string;
  /** Milliseconds per sampler step of its gpu-sim: its speed. */
  stepMs: number;
  /** Slots Gantry may lease on it (GANTRY_BACKENDS capacity). */
  capacity: number;
}

export interface JobTimes {
  id: string;
  status: string;
  backendId: string | null;
  attempts: number;
  createdAt: number;
  /** First `dispatched` state event (the job left the queue with a slot lease). */
  firstDispatchedAt: number | null;
  /** Last `dispatched` state event (the attempt that finished). */
  dispatchedAt: number | null;
  /** jobs.started_at: the backend began executing the prompt (`running`). */
  startedAt: number | null;
  finishedAt: number | null;
  /**
   * The backend's own end of the prompt (the gpu-sim's execution record), when known. The worker
   * frees the job's GPU slot when it sees that end (~1 ms later), not at `finishedAt` (after its
   * outputs are stored and its success recorded, while the GPU runs the next job): every slot
   * figure ends the job's slot here (slotEndOf), `finishedAt` where unknown.
   */
  backendEndAt?: number | null;
  /** The backend's own start of the prompt (taken off its queue; the gpu-sim's execution record), when known. */
  backendStartAt?: number | null;
}

export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Where a job's GPU slot ended: the backend's end of its prompt when known (see JobTimes.backendEndAt), else its success recorded. */
export function slotEndOf(r: JobTimes): number {
  return r.backendEndAt ?? (r.finishedAt as number);
}

/**
 * Where each job's GPU slot began: its `dispatched` write, or, on a capacity-1 backend, the previous
 * job's slot end there when that came later (a prompt sent ahead, GANTRY_QUEUE_AHEAD, waits in the
 * backend's queue while the GPU still runs the one before it: that wait is the previous job's slot
 * time, not its own). Jobs without a dispatch are left out.
 */
export function slotStarts(rows: JobTimes[], backends: SimBackend[]): Map<JobTimes, number> {
  const out = new Map<JobTimes, number>();
  for (const b of backends) {
    const mine = rows
      .filter((r) => r.backendId === b.id && r.dispatchedAt !== null && r.finishedAt !== null)
      .sort((x, y) => (x.backendStartAt ?? (x.dispatchedAt as number)) - (y.backendStartAt ?? (y.dispatchedAt as number)));
    let prevEnd = -Infinity;
    for (const r of mine) {
      out.set(r, b.capacity === 1 ? Math.max(r.dispatchedAt as number, prevEnd) : (r.dispatchedAt as number));
      prevEnd = slotEndOf(r);
    }
  }
  return out;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? null;
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] ?? null) : null,
    mean: sorted.length ? round(sum / sorted.length, 1) : null,
  };
}

export const round = (v: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

/** Count of values <= t in an ascending array. */
function countAtOrBefore(sorted: number[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? Infinity) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Total length of the union of intervals, clipped to [from, to]. */
function coveredMs(intervals: Array<[number, number]>, from: number, to: number): number {
  const clipped = intervals
    .map(([a, b]): [number, number] => [Math.max(a, from), Math.min(b, to)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let total = 0;
  let curA = -Infinity;
  let curB = -Infinity;
  for (const [a, b] of clipped) {
    if (a > curB) {
      if (curB > curA) total += curB - curA;
      curA = a;
      curB = b;
    } else curB = Math.max(curB, b);
  }
  if (curB > curA) total += curB - curA;
  return total;
}

/** Most intervals open at one instant (an interval ends before another starting at the same ms). */
function maxOverlap(intervals: Array<[number, number]>): number {
  const points: Array<[number, number]> = [];
  for (const [a, b] of intervals) points.push([a, 1], [b, -1]);
  points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of points) {
    cur += d;
    max = Math.max(max, cur);
  }
  return max;
}

export interface BackendFigures {
  id: string;
  stepMs: number;
  capacity: number;
  jobs: number;
  /** Share of the jobs a perfectly speed-proportional split would give it. */
  idealJobs: number;
  /** Slot held (dispatched → the slot's end, slotEndOf) / makespan, per slot of capacity. */
  utilization: number;
  /** Same, only within the backlog window (first submit → last job taken from the queue). */
  backlogUtilization: number;
  /** Prompt running (started → finished, includes storing outputs) / makespan, per slot. */
  runningUtilization: number;
  /** Pure sampler time (jobs × steps × stepMs) / makespan, per slot: the GPU actually computing. */
  samplerUtilization: number;
  /** next.startedAt − prev.finishedAt on this backend while jobs were waiting in the queue. */
  idleGap: Summary;
  /** next.dispatchedAt − the previous job's slot end (the slot sat free) while jobs were waiting. */
  slotIdleGap: Summary;
  /** Most jobs it held at once (dispatched → slot end); above capacity is a leasing fault. */
  maxConcurrent: number;
}

export interface RunFigures {
  jobs: number;
  succeeded: number;
  failed: number;
  unfinished: number;
  retried: number;
  makespanMs: number;
  submitMs: number;
  /** Sum of sampler work / total fleet speed: no scheduler can finish sooner. */
  lowerBoundMs: number;
  ratio: number;
  /**
   * Per-job time a GPU slot is held beyond the sampler's steps: dispatched → the slot's end
   * (slotEndOf: the backend's end of the prompt), i.e. dispatch, the prompt's way to the backend
   * and the backend's own run beyond the steps.
   */
  overheadMs: Summary;
  /** Per job: dispatched → success recorded, beyond the steps (the slot figure before the slot was freed at the prompt's end; outputs stored and success recorded after it). */
  jobOverheadMs: Summary;
  /** The backend's end of each prompt → its success recorded (outputs stored); empty when the backend's ends are unknown. */
  bookkeepingMs: Summary;
  /** Capacity-1 backends while jobs were queued: the backend's end of a prompt → the next job's start on it (GPU idle); empty when the ends are unknown. */
  gpuIdleBetweenPromptsMs: Summary;
  /** Lower bound with that median overhead added to every job on every backend. */
  lowerBoundWithOverheadMs: number;
  ratioWithOverhead: number;
  throughputJobsPerS: number;
  /** first submit → last job taken from the queue. */
  backlogMs: number;
  /** last job taken from the queue → last job finished (the tail, where placement matters most). */
  drainMs: number;
  queueWaitMs: Summary;
  /** Per job: later-submitted jobs that left the queue (first dispatch) before it. */
  overtakenBy: Summary;
  /** Mean over backends of utilization (slot-weighted). */
  utilization: number;
  backlogUtilization: number;
  samplerUtilization: number;
  idleGapMs: Summary;
  slotIdleGapMs: Summary;
  /** Backends that ever held more jobs than their capacity. */
  overCapacity: string[];
  /** Where `ratioWithOverhead − 1` goes (see LossBreakdown). */
  loss: LossBreakdown;
  /** The last 8 jobs taken from the queue: where each ran, and when it finished after the last take (ms). */
  lastTaken: Array<{ backendId: string | null; finishedAfterMs: number | null }>;
  backends: BackendFigures[];
}

/**
 * Where makespan / bound-with-overhead − 1 goes, in the same unit (the parts add up to it). A slot
 * of pace r = 1 / (steps × ms/step + p50 overhead) idle for t ms, or holding a job t ms beyond its
 * steps + p50 overhead, loses r × t jobs against the bound; each part is those lost jobs / N:
 * makespan × Σ capacity × r − N = Σ over slots of r × (idle + Σ (overhead − p50)).
 */
export interface LossBreakdown {
  /** First submit → a slot's first dispatch (submits and the first fetches). */
  start: number;
  /** A slot free between two jobs (previous finished → next dispatched) while jobs were queued. */
  gapsUnderBacklog: number;
  /** The same with nothing queued (between bursts, or before the last jobs arrived). */
  gapsOther: number;
  /** A slot's last finish → the run's last finish: the drain tail. */
  tail: number;
  /** Per-job overhead above the p50 the bound assumes (jobs below it count against it). */
  overheadAboveP50: number;
  /** Backends of capacity > 1: their idle time, not split up. */
  otherIdle: number;
}

export function computeFigures(
  rows: JobTimes[],
  backends: SimBackend[],
  steps: number,
  firstSubmitAt: number,
  lastSubmitAt: number,
  /** The workers sent prompts ahead (GANTRY_QUEUE_AHEAD): a capacity-1 backend may hold one more, waiting. */
  queueAhead = false,
): RunFigures {
  const done = rows.filter((r) => r.finishedAt !== null);
  const lastFinish = Math.max(firstSubmitAt, ...done.map((r) => r.finishedAt as number));
  const makespan = lastFinish - firstSubmitAt;
  const speed = backends.reduce((s, b) => s + b.capacity / b.stepMs, 0); // steps per ms
  // Over the jobs that ran to the end (all of them in a complete run).
  const ran = rows.filter((r) => r.status === 'succeeded').length;
  const lowerBound = (ran * steps) / speed;

  const stepMsOf = new Map(backends.map((b) => [b.id, b.stepMs]));
  const held = rows.filter((r) => r.status === 'succeeded' && r.dispatchedAt !== null && r.finishedAt !== null && r.backendId);
  const starts = slotStarts(rows, backends);
  const startOf = (r: JobTimes) => starts.get(r) ?? (r.dispatchedAt as number);
  const beyondSteps = (start: number, end: number, r: JobTimes) => end - start - steps * (stepMsOf.get(r.backendId as string) ?? 0);
  const overhead = summarize(held.map((r) => beyondSteps(startOf(r), slotEndOf(r), r)));
  const jobOverhead = summarize(held.map((r) => beyondSteps(r.dispatchedAt as number, r.finishedAt as number, r)));
  const bookkeeping = summarize(held.filter((r) => r.backendEndAt != null).map((r) => (r.finishedAt as number) - (r.backendEndAt as number)));
  const o = overhead.p50 ?? 0;
  const jobsPerMs = backends.reduce((s, b) => s + b.capacity / (steps * b.stepMs + o), 0);
  const lowerBoundWithOverhead = ran / jobsPerMs;

  // Jobs waiting in the queue at time t: submitted and not yet taken by any worker with a slot.
  const createdSorted = rows.map((r) => r.createdAt).sort((a, b) => a - b);
  const takenSorted = rows.filter((r) => r.firstDispatchedAt !== null).map((r) => r.firstDispatchedAt as number).sort((a, b) => a - b);
  const waitingAt = (t: number) => countAtOrBefore(createdSorted, t) - countAtOrBefore(takenSorted, t);
  const backlogEnd = takenSorted.length ? (takenSorted[takenSorted.length - 1] as number) : firstSubmitAt;
  const backlog = Math.max(1, backlogEnd - firstSubmitAt);

  const allGaps: number[] = [];
  const allSlotGaps: number[] = [];
  const gpuIdleGaps: number[] = [];
  const overCapacity: string[] = [];
  const perBackend: BackendFigures[] = backends.map((b) => {
    const mine = rows
      .filter((r) => r.backendId === b.id && r.startedAt !== null && r.finishedAt !== null && r.dispatchedAt !== null)
      .sort((x, y) => (x.startedAt as number) - (y.startedAt as number));
    const slots: Array<[number, number]> = mine.map((r) => [startOf(r), slotEndOf(r)]);
    const gpu: Array<[number, number]> = mine.map((r) => [r.startedAt as number, r.finishedAt as number]);
    const gaps: number[] = [];
    const slotGaps: number[] = [];
    if (b.capacity === 1) {
      for (let i = 1; i < mine.length; i++) {
        const prev = mine[i - 1] as JobTimes;
        const next = mine[i] as JobTimes;
        if (waitingAt(slotEndOf(prev)) <= 0) continue; // nothing was queued: idling was not a loss
        gaps.push((next.startedAt as number) - (prev.finishedAt as number));
        slotGaps.push(startOf(next) - slotEndOf(prev));
      }
      for (let i = 1; i < mine.length; i++) {
        const end = mine[i - 1]?.backendEndAt;
        if (end == null || waitingAt(end) <= 0) continue;
        gpuIdleGaps.push((mine[i]?.startedAt as number) - end);
      }
    }
    allGaps.push(...gaps);
    allSlotGaps.push(...slotGaps);
    // Prompts on the GPU at once: a job's slot is freed at its prompt's end (the backend's own end,
    // when known), so its bookkeeping up to `finished_at` may overlap the next job without any
    // over-commit; the lease samples check the slots themselves.
    // Prompts at the backend at once (dispatched → its end): above capacity only by the prompts sent
    // ahead (GANTRY_QUEUE_AHEAD: one per slot, waiting in the backend's queue).
    const concurrent = maxOverlap(mine.map((r) => [r.dispatchedAt as number, slotEndOf(r)] as [number, number]));
    const allowed = b.capacity * (queueAhead ? 2 : 1);
    if (concurrent > allowed) overCapacity.push(`${b.id} (${concurrent} > ${allowed})`);
    // Sum of per-job intervals (not their union) so capacity > 1 counts each slot.
    const slotSum = (from: number, to: number) => slots.reduce((s, iv) => s + coveredMs([iv], from, to), 0);
    const gpuSum = gpu.reduce((s, iv) => s + coveredMs([iv], firstSubmitAt, lastFinish), 0);
    return {
      id: b.id,
      stepMs: b.stepMs,
      capacity: b.capacity,
      jobs: rows.filter((r) => r.backendId === b.id && r.status === 'succeeded').length,
      idealJobs: round((ran * (b.capacity / b.stepMs)) / speed, 1),
      utilization: round(slotSum(firstSubmitAt, lastFinish) / Math.max(1, makespan) / b.capacity, 3),
      backlogUtilization: round(slotSum(firstSubmitAt, backlogEnd) / backlog / b.capacity, 3),
      runningUtilization: round(gpuSum / Math.max(1, makespan) / b.capacity, 3),
      samplerUtilization: round((mine.filter((r) => r.status === 'succeeded').length * steps * b.stepMs) / Math.max(1, makespan) / b.capacity, 3),
      idleGap: summarize(gaps),
      slotIdleGap: summarize(slotGaps),
      maxConcurrent: concurrent,
    };
  });
  const totalCap = backends.reduce((s, b) => s + b.capacity, 0);
  const loss = lossBreakdown(rows, backends, steps, o, firstSubmitAt, lastFinish, waitingAt, startOf);
  const weighted = (f: (b: BackendFigures) => number) => round(perBackend.reduce((s, b) => s + f(b) * b.capacity, 0) / totalCap, 3);

  return {
    jobs: rows.length,
    succeeded: rows.filter((r) => r.status === 'succeeded').length,
    failed: rows.filter((r) => r.status === 'failed' || r.status === 'canceled').length,
    unfinished: rows.filter((r) => !['succeeded', 'failed', 'canceled'].includes(r.status)).length,
    retried: rows.filter((r) => r.attempts > 1).length,
    makespanMs: makespan,
    submitMs: lastSubmitAt - firstSubmitAt,
    lowerBoundMs: round(lowerBound),
    ratio: round(makespan / Math.max(1, lowerBound), 2),
    overheadMs: overhead,
    jobOverheadMs: jobOverhead,
    bookkeepingMs: bookkeeping,
    gpuIdleBetweenPromptsMs: summarize(gpuIdleGaps),
    lowerBoundWithOverheadMs: round(lowerBoundWithOverhead),
    ratioWithOverhead: round(makespan / Math.max(1, lowerBoundWithOverhead), 2),
    throughputJobsPerS: round(done.length / Math.max(0.001, makespan / 1000), 1),
    backlogMs: backlogEnd - firstSubmitAt,
    drainMs: lastFinish - backlogEnd,
    queueWaitMs: summarize(rows.filter((r) => r.startedAt !== null).map((r) => (r.startedAt as number) - r.createdAt)),
    overtakenBy: summarize(overtaken(rows)),
    utilization: weighted((b) => b.utilization),
    backlogUtilization: weighted((b) => b.backlogUtilization),
    samplerUtilization: weighted((b) => b.samplerUtilization),
    idleGapMs: summarize(allGaps),
    slotIdleGapMs: summarize(allSlotGaps),
    overCapacity,
    loss,
    lastTaken: rows
      .filter((r) => r.firstDispatchedAt !== null)
      .sort((a, b) => (a.firstDispatchedAt as number) - (b.firstDispatchedAt as number))
      .slice(-8)
      .map((r) => ({ backendId: r.backendId, finishedAfterMs: r.finishedAt === null ? null : r.finishedAt - backlogEnd })),
    backends: perBackend,
  };
}

function lossBreakdown(
  rows: JobTimes[],
  backends: SimBackend[],
  steps: number,
  o: number,
  firstSubmitAt: number,
  lastFinish: number,
  waitingAt: (t: number) => number,
  startOf: (r: JobTimes) => number,
): LossBreakdown {
  const out: LossBreakdown = { start: 0, gapsUnderBacklog: 0, gapsOther: 0, tail: 0, overheadAboveP50: 0, otherIdle: 0 };
  const n = rows.filter((r) => r.status === 'succeeded').length;
  if (n === 0) return out;
  for (const b of backends) {
    const r = 1 / (steps * b.stepMs + o);
    const mine = rows
      .filter((j) => j.backendId === b.id && j.status === 'succeeded' && j.dispatchedAt !== null && j.finishedAt !== null)
      .sort((x, y) => (x.dispatchedAt as number) - (y.dispatchedAt as number));
    for (const j of mine) out.overheadAboveP50 += r * (slotEndOf(j) - startOf(j) - steps * b.stepMs - o);
    if (b.capacity !== 1) {
      const held = mine.reduce((s, j) => s + slotEndOf(j) - startOf(j), 0);
      out.otherIdle += r * (b.capacity * (lastFinish - firstSubmitAt) - held);
      continue;
    }
    const first = mine[0];
    const last = mine.at(-1);
    if (!first || !last) {
      out.start += r * (lastFinish - firstSubmitAt);
      continue;
    }
    out.start += r * (startOf(first) - firstSubmitAt);
    out.tail += r * (lastFinish - Math.max(...mine.map(slotEndOf)));
    for (let i = 1; i < mine.length; i++) {
      const prev = mine[i - 1] as JobTimes;
      const gap = startOf(mine[i] as JobTimes) - slotEndOf(prev);
      if (waitingAt(slotEndOf(prev)) > 0) out.gapsUnderBacklog += r * gap;
      else out.gapsOther += r * gap;
    }
  }
  for (const k of Object.keys(out) as Array<keyof LossBreakdown>) out[k] = round(out[k] / n, 3);
  return out;
}

/**
 * For each dispatched job, how many jobs submitted after it were dispatched before it (one tenant,
 * one priority: the queue is meant to be about FIFO, so large values mean reordering).
 */
export function overtaken(rows: JobTimes[]): number[] {
  const jobs = rows
    .filter((r) => r.firstDispatchedAt !== null)
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  // Walk from the last submitted to the first; a Fenwick tree over dispatch-time ranks counts
  // the later-submitted jobs dispatched earlier.
  const order = jobs.map((j, i) => [j.firstDispatchedAt as number, i] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const rank = new Array<number>(jobs.length);
  order.forEach(([, i], r) => (rank[i] = r + 1));
  const tree = new Array<number>(jobs.length + 1).fill(0);
  const add = (i: number) => {
    for (; i <= jobs.length; i += i & -i) tree[i] = (tree[i] ?? 0) + 1;
  };
  const below = (i: number) => {
    let s = 0;
    for (; i > 0; i -= i & -i) s += tree[i] ?? 0;
    return s;
  };
  const out: number[] = [];
  for (let i = jobs.length - 1; i >= 0; i--) {
    const r = rank[i] as number;
    out.push(below(r - 1));
    add(r);
  }
  return out;
}

/** One look at Redis (every ~100 ms): live leases per backend, jobs waiting, jobs workers hold. */
export interface LeaseSample {
  at: number;
  inFlight: number[];
  /** BullMQ wait + prioritized + delayed. */
  queued: number;
  /** BullMQ active: jobs some worker has taken (running, or still looking for a slot). */
  active: number;
}

export interface SampledFigures {
  /** Mean leased slots / capacity over the samples where jobs were queued. */
  backlog: number | null;
  /** Mean and max of (jobs taken by workers − leased slots) while jobs were queued: jobs a worker took without a slot. */
  heldWithoutSlot: { mean: number; max: number } | null;
  /** Samples where a backend had more live leases than its capacity. */
  overCapacity: number;
  samples: number;
}

export function sampledUtilization(samples: LeaseSample[], backends: SimBackend[]): SampledFigures {
  const totalCap = backends.reduce((s, b) => s + b.capacity, 0);
  const queued = samples.filter((s) => s.queued > 0);
  let over = 0;
  for (const s of samples) if (s.inFlight.some((n, i) => n > (backends[i]?.capacity ?? Infinity))) over += 1;
  if (queued.length === 0) return { backlog: null, heldWithoutSlot: null, overCapacity: over, samples: samples.length };
  const leased = (s: LeaseSample) => s.inFlight.reduce((a, n) => a + n, 0);
  const used = queued.reduce((sum, s) => sum + s.inFlight.reduce((a, n, i) => a + Math.min(n, backends[i]?.capacity ?? 0), 0), 0);
  const held = queued.map((s) => Math.max(0, s.active - leased(s)));
  return {
    backlog: round(used / queued.length / totalCap, 3),
    heldWithoutSlot: { mean: round(held.reduce((a, b) => a + b, 0) / held.length, 1), max: Math.max(...held) },
    overCapacity: over,
    samples: samples.length,
  };
}

/** Records when a sampled lease was taken (its member is `<lease id>@<start ms>`, Redis's clock). */
export function noteLeaseStart(starts: Array<Set<number>>, backend: number, member: string): void {
  const at = member.lastIndexOf('@');
  const start = at < 0 ? NaN : Number(member.slice(at + 1));
  if (Number.isFinite(start)) starts[backend]?.add(start);
}

/**
 * The slot-free gaps while jobs were queued (capacity-1 backends), split at the next job's lease
 * (seen by the 100 ms lease samples; a lease shorter than that may be missed, `matched` says how
 * many gaps had theirs): *free → lease* is the previous job's slot end (slotEndOf: the backend's
 * end of its prompt) → the worker seeing it, the finish or hand-over → the next job's lease script
 * (the intake, the fetch, the job read and the slot attempt when no job was waiting); *lease →
 * dispatch* is the lease → the `dispatched` write.
 * Each part also as excess over the bound (r × ms / N, as in LossBreakdown), over the matched gaps.
 */
export interface GapSplit {
  gaps: number;
  matched: number;
  freeToLease: Summary;
  leaseToDispatch: Summary;
  lossFreeToLease: number;
  lossLeaseToDispatch: number;
}

export function gapSplit(rows: JobTimes[], backends: SimBackend[], steps: number, o: number, starts: Array<Set<number>>, firstSubmitAt: number): GapSplit {
  const createdSorted = rows.map((r) => r.createdAt).sort((a, b) => a - b);
  const takenSorted = rows.filter((r) => r.firstDispatchedAt !== null).map((r) => r.firstDispatchedAt as number).sort((a, b) => a - b);
  const waitingAt = (t: number) => countAtOrBefore(createdSorted, t) - countAtOrBefore(takenSorted, t);
  const n = rows.filter((r) => r.status === 'succeeded').length || 1;
  const freeToLease: number[] = [];
  const leaseToDispatch: number[] = [];
  let gaps = 0;
  let lossA = 0;
  let lossB = 0;
  backends.forEach((b, bi) => {
    if (b.capacity !== 1) return;
    const r = 1 / (steps * b.stepMs + o);
    const sorted = [...(starts[bi] ?? [])].filter((t) => t >= firstSubmitAt - 1000).sort((x, y) => x - y);
    const mine = rows
      .filter((j) => j.backendId === b.id && j.status === 'succeeded' && j.dispatchedAt !== null && j.finishedAt !== null)
      .sort((x, y) => (x.dispatchedAt as number) - (y.dispatchedAt as number));
    for (let i = 1; i < mine.length; i++) {
      const prev = mine[i - 1] as JobTimes;
      const next = mine[i] as JobTimes;
      if (waitingAt(slotEndOf(prev)) <= 0) continue;
      gaps += 1;
      // The latest lease taken on this backend at or before the dispatch (ms vs µs timestamps: 1 ms slack).
      const k = countAtOrBefore(sorted, (next.dispatchedAt as number) + 1) - 1;
      const lease = sorted[k];
      if (lease === undefined || lease < (prev.dispatchedAt as number)) continue;
      const a = lease - slotEndOf(prev);
      const c = (next.dispatchedAt as number) - lease;
      freeToLease.push(a);
      leaseToDispatch.push(c);
      lossA += r * a;
      lossB += r * c;
    }
  });
  return {
    gaps,
    matched: freeToLease.length,
    freeToLease: summarize(freeToLease),
    leaseToDispatch: summarize(leaseToDispatch),
    lossFreeToLease: round(lossA / n, 3),
    lossLeaseToDispatch: round(lossB / n, 3),
  };
}

/**
 * The per-job overhead split at `started` (the backend began the prompt): dispatch → running, and
 * running → finished beyond the steps. Where the backend's own start and end are known, also the
 * overhead's part spent inside the backend (its run beyond steps × ms/step: prompt validation, the
 * other nodes, its timers' lateness on a busy box) and Gantry's part (the rest: dispatch → the
 * backend's start, and the backend's end → success recorded).
 */
export function overheadSplit(
  rows: JobTimes[],
  backends: SimBackend[],
  steps: number,
): { toRunning: Summary; afterSteps: Summary; inBackend: Summary; gantry: Summary; toBackendStart: Summary } {
  const stepMsOf = new Map(backends.map((b) => [b.id, b.stepMs]));
  const stepsMs = (r: JobTimes) => steps * (stepMsOf.get(r.backendId as string) ?? 0);
  const ok = rows.filter((r) => r.status === 'succeeded' && r.dispatchedAt !== null && r.startedAt !== null && r.finishedAt !== null && r.backendId);
  const timed = ok.filter((r) => r.backendStartAt != null && r.backendEndAt != null);
  const inBackend = (r: JobTimes) => (r.backendEndAt as number) - (r.backendStartAt as number) - stepsMs(r);
  return {
    toRunning: summarize(ok.map((r) => (r.startedAt as number) - (r.dispatchedAt as number))),
    afterSteps: summarize(ok.map((r) => (r.finishedAt as number) - (r.startedAt as number) - stepsMs(r))),
    inBackend: summarize(timed.map(inBackend)),
    gantry: summarize(timed.map((r) => (r.finishedAt as number) - (r.dispatchedAt as number) - stepsMs(r) - inBackend(r))),
    // Its first half (the second is bookkeepingMs): a prompt sent while the GPU still runs the one
    // before it waits in the backend's queue here, the GPU busy meanwhile.
    toBackendStart: summarize(timed.map((r) => (r.backendStartAt as number) - (r.dispatchedAt as number))),
  };
}
