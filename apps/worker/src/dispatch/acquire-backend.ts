import { AppError, delay, formatModelRef, systemClock, type Clock } from '@gantry/domain';
import { missingModels, whyNoBackend, type JobNeed, type Lease } from '@gantry/fleet';
import type { Freeing, WorkerFleet } from '../fleet/worker-fleet.js';
import type { QueuePlace } from './slot-turns.js';

const MIN_WAIT_MS = 25;
const MAX_WAIT_MS = 250;

/** No slot became free on this worker's backends in time: the job should go back to the queue. */
export class NoSlotError extends Error {
  constructor(readonly reason: 'full' | 'tenant-cap') {
    super(reason === 'full' ? 'no free slot on this worker' : 'tenant at its running cap');
    this.name = 'NoSlotError';
  }
}

export interface AcquireRequest {
  tenantId: string;
  /** What the job needs from a backend (kind, tags, VRAM, node types, models): see jobNeed. */
  need: JobNeed;
  exclude: ReadonlySet<string>;
  /** After an OOM: prefer backends with more total VRAM than this (MiB). */
  moreVramThanMb?: number | undefined;
  model: string | null;
  tenantCap: number;
  /** How long to wait for a slot before giving the job back. */
  waitMs: number;
  signal: AbortSignal;
  /** Time of the wait (default the system clock). */
  clock?: Clock;
  /**
   * May the job be left for a much faster busy GPU in the drain tail (default true)? The caller
   * stops it once the job was handed back for that, so a stuck fast GPU cannot hold it for long.
   */
  mayWaitForFaster?: boolean;
  /**
   * The job's place in the queue: this worker's jobs try freed slots in this order, one at a time
   * (SlotTurns). Default: after every job this worker took before.
   */
  place?: QueuePlace;
}

/**
 * Leases a slot on an eligible backend, waiting up to `waitMs` while the fleet is full (trying
 * again whenever a slot is freed, and at least every 25-250 ms; this worker's jobs try in queue
 * order, see SlotTurns). Rejects
 * CANCELED when the signal aborts, NoSlotError when the wait ran out (the caller hands the job
 * back so a worker with a free slot takes it), MODEL_UNAVAILABLE when no backend of this worker
 * holds a model the job names, and BACKEND_UNAVAILABLE (with the reasons) when no backend of this
 * worker could ever run it for another reason.
 */
export async function acquireBackend(fleet: WorkerFleet, request: AcquireRequest): Promise<Lease> {
  const { need } = request;
  let candidates = fleet.candidates(need, request.exclude);
  // Every backend already failed this job: try them all again rather than strand it.
  if (candidates.length === 0 && request.exclude.size > 0) candidates = fleet.candidates(need);
  candidates = fleet.preferMoreVram(candidates, request.moreVramThanMb);
  if (candidates.length === 0) {
    const served = fleet.all().map((c) => ({ ...c, info: fleet.infoOf(c.id), state: 'unknown' as const, draining: false }));
    // Models no backend here holds (their inventories changed since submit): say so by name.
    const unheld = (need.models ?? []).filter((ref) => served.length > 0 && served.every((b) => missingModels([ref], b.info).length === 1));
    if (unheld.length > 0) {
      throw new AppError('MODEL_UNAVAILABLE', `No backend of this worker holds ${unheld.map(formatModelRef).join(', ')}`, { details: { models: unheld } });
    }
    throw new AppError('BACKEND_UNAVAILABLE', 'No backend of this worker matches the job requirements', {
      details: { requirements: { tags: need.tags, vramMb: need.vramMb }, reasons: whyNoBackend(need, served) },
    });
  }
  const clock = request.clock ?? systemClock;
  const deadline = clock.now() + request.waitMs;
  const place = request.place ?? fleet.turns.placeOf(undefined);
  let wait = MIN_WAIT_MS;
  for (;;) {
    if (request.signal.aborted) throw new AppError('CANCELED', 'Canceled while waiting for a GPU');
    const attempt = (freeing?: Freeing) => fleet.tryAcquire(request.tenantId, need, candidates, request.model, request.tenantCap, request.mayWaitForFaster ?? true, freeing);
    const outcome = await fleet.turns.run(place, () => {
      if (request.signal.aborted) throw new AppError('CANCELED', 'Canceled while waiting for a GPU');
      return attempt();
    });
    if (outcome.lease) return outcome.lease;
    if (clock.now() + wait > deadline) throw new NoSlotError(outcome.reason);
    // A freed slot ends the wait at once (the backoff only bounds how often a full fleet is asked);
    // a slot this worker's job frees (at its prompt's end or its attempt's end) may be handed
    // straight to this one (WorkerFleet.finish and release).
    const freed = fleet.whenSlotFreed();
    const handOver = fleet.offerHandOver(place, (freeing) =>
      request.signal.aborted ? Promise.resolve({ lease: null, reason: 'full' as const }) : attempt(freeing),
    );
    let handed: Lease | null = null;
    try {
      await delay(clock, wait, AbortSignal.any([request.signal, freed.signal, handOver.signal]));
    } finally {
      freed.done();
      handed = await handOver.done();
    }
    if (handed) return handed;
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}
