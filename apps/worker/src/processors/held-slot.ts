import type { Logger } from '@gantry/logger';
import { keepLeaseAlive, type Lease } from '@gantry/fleet';
import type { WorkerDeps } from './context.js';

/** A backend slot this worker holds for a job's prompt: renewed until let go. */
export interface HeldSlot {
  lease: Lease;
  stopRenewing: () => void;
  /** The job's success was recorded: its backend's strikes are forgiven with the release. */
  succeeded: boolean;
  /** Its prompt's end freeing its GPU slot (freeAtPromptEnd), awaited before the release; null before. */
  finishing: Promise<void> | null;
  /** Counted among the worker's settling jobs until `letGo`. */
  settling: boolean;
}

/** Keeps `lease` alive (renewed within its TTL) until `letGo`. */
export function holdSlot(deps: WorkerDeps, lease: Lease, log: Logger): HeldSlot {
  const onLost = () => log.warn({ backend: lease.backendId }, 'backend slot lease lost; another job may share the backend');
  return { lease, stopRenewing: keepLeaseAlive(deps.fleet.leases, lease, onLost, deps.clock), succeeded: false, finishing: null, settling: false };
}

/**
 * A slot for a prompt that is already on `backendId` (a lost worker's job being recovered): taken
 * whatever the backend's load, because the prompt occupies the GPU whether or not it is counted.
 * The lost worker's own lease, until its TTL runs out, counts the same prompt once more: the
 * backend looks busier than it is for that while, never idler. Null (recovery goes on uncounted)
 * when Redis cannot take it.
 */
export async function occupySlot(deps: WorkerDeps, backendId: string, tenantId: string, log: Logger): Promise<HeldSlot | null> {
  const taken = await deps.fleet.leases
    .acquire({ tenantId, candidates: [{ id: backendId, capacity: Number.MAX_SAFE_INTEGER }] })
    .catch((err: unknown) => {
      log.warn({ err, backend: backendId }, "could not count the recovered prompt's slot; following it uncounted");
      return null;
    });
  return taken?.lease ? holdSlot(deps, taken.lease, log) : null;
}

/**
 * The prompt ran to its end on the backend: its GPU slot is freed now (the lease moves to the
 * backend's finishing set, still renewed: WorkerFleet.finish, which hands the slot straight to the
 * earliest job of this worker waiting for one, in the same script, when there is one) so the GPU
 * takes its next job while this one's outputs are collected and its success recorded. The job still counts as running on
 * the backend (inFlight, so the backend is not deleted under it) and for its tenant's running cap,
 * and among the worker's settling jobs (a place of its concurrency) until `letGo`. No strikes are
 * forgiven here (see `succeeded`). On a Redis error the slot is kept as before, until `letGo`.
 * `aheadMs` > 0: queue-ahead frees the slot before the prompt's end, expected in that many ms
 * (the drain tail's rule counts the wait behind it on that GPU: WorkerFleet.finish).
 */
export function freeAtPromptEnd(deps: WorkerDeps, held: HeldSlot, log: Logger, aheadMs = 0): void {
  if (held.finishing) return;
  const { backendId } = held.lease;
  deps.fleet.ending.end(held.lease.leaseId);
  held.settling = true;
  deps.fleet.settling.begin(backendId); // before the finish announces the free slot to the intake gate
  held.finishing = deps.fleet.finish(held.lease, aheadMs).then(
    (live) => {
      if (!live) log.warn({ backend: backendId }, "backend slot lease had expired at the prompt's end");
    },
    (err: unknown) => {
      log.warn({ err, backend: backendId }, "could not free the backend slot at the prompt's end; it is kept until the job settled");
      held.settling = false;
      deps.fleet.settling.end(backendId);
    },
  );
}

/**
 * The attempt is over: stops renewing and ends the lease (freeing its slot, to a job of this
 * worker waiting for one if any, unless its prompt's end freed it already), forgiving its
 * backend's strikes when its success was recorded, and ends its settling; never throws.
 */
export async function letGo(deps: WorkerDeps, held: HeldSlot): Promise<void> {
  held.stopRenewing();
  deps.fleet.ending.end(held.lease.leaseId);
  await held.finishing;
  await deps.fleet.release(held.lease, held.succeeded).catch(() => undefined);
  if (held.settling) {
    held.settling = false;
    deps.fleet.settling.end(held.lease.backendId);
  }
}
