import { AppError, type JobRequirements } from '@gantry/domain';
import type { BackendConfig, Lease } from '@gantry/fleet';
import type { WorkerFleet } from './worker-fleet.js';

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
  /** Backend kinds that can run the job (ComfyUI for workflows, A1111 for txt2img). */
  kinds: readonly BackendConfig['kind'][];
  requirements: JobRequirements | null;
  exclude: ReadonlySet<string>;
  /** After an OOM: prefer backends with more total VRAM than this (MiB). */
  moreVramThanMb?: number | undefined;
  model: string | null;
  tenantCap: number;
  /** How long to wait for a slot before giving the job back. */
  waitMs: number;
  signal: AbortSignal;
}

/**
 * Leases a slot on an eligible backend, waiting up to `waitMs` while the fleet is full. Rejects
 * CANCELED when the signal aborts, NoSlotError when the wait ran out (the caller hands the job
 * back so a worker with a free slot takes it), and BACKEND_UNAVAILABLE when no backend of this
 * worker could ever run the job.
 */
export async function acquireBackend(fleet: WorkerFleet, request: AcquireRequest): Promise<Lease> {
  let candidates = fleet.eligible(request.requirements, request.exclude, request.kinds);
  // Every backend already failed this job: try them all again rather than strand it.
  if (candidates.length === 0 && request.exclude.size > 0) candidates = fleet.eligible(request.requirements, new Set(), request.kinds);
  candidates = fleet.preferMoreVram(candidates, request.moreVramThanMb);
  if (candidates.length === 0) {
    throw new AppError('BACKEND_UNAVAILABLE', 'No backend of this worker matches the job requirements', {
      details: { requirements: request.requirements },
    });
  }
  const deadline = Date.now() + request.waitMs;
  let wait = MIN_WAIT_MS;
  for (;;) {
    if (request.signal.aborted) throw new AppError('CANCELED', 'Canceled while waiting for a GPU');
    const outcome = await fleet.tryAcquire(request.tenantId, candidates, request.model, request.tenantCap);
    if (outcome.lease) return outcome.lease;
    if (Date.now() + wait > deadline) throw new NoSlotError(outcome.reason);
    await sleep(wait, request.signal);
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
