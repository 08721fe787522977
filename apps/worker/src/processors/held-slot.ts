import type { Logger } from '@gantry/logger';
import { keepLeaseAlive, type Lease } from '@gantry/fleet';
import type { WorkerDeps } from './context.js';

/** A backend slot this worker holds for a job's prompt: renewed until let go. */
export interface HeldSlot {
  lease: Lease;
  stopRenewing: () => void;
  /** The backend ran the job's prompt to its end: its strikes are forgiven with the release. */
  succeeded: boolean;
  /** Set by the first release: later calls wait for the same one. */
  released: Promise<void> | null;
  /** Freed at its prompt's end and counted among the worker's settling jobs until `letGo`. */
  settling: boolean;
}

/** Keeps `lease` alive (renewed within its TTL) until `letGo`. */
export function holdSlot(deps: WorkerDeps, lease: Lease, log: Logger): HeldSlot {
  const onLost = () => log.warn({ backend: lease.backendId }, 'backend slot lease lost; another job may share the backend');
  return { lease, stopRenewing: keepLeaseAlive(deps.fleet.leases, lease, onLost, deps.clock), succeeded: false, released: null, settling: false };
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
 * The prompt ran to its end on the backend: its slot is freed now, with the backend's strikes
 * forgiven, so the GPU takes its next job while this one's outputs are stored and its success
 * recorded. The job counts among the worker's settling jobs (a place of its concurrency) until
 * `letGo`.
 */
export function freeAtPromptEnd(deps: WorkerDeps, held: HeldSlot): void {
  if (held.released) return;
  held.succeeded = true;
  held.settling = true;
  deps.fleet.settling.begin(); // before the release announces the free slot to the intake gate
  void release(deps, held); // never rejects; letGo waits for it
}

/**
 * The attempt is over: stops renewing and frees the slot (to a job of this worker waiting for one,
 * if any) unless its prompt's end freed it already, and ends its settling; never throws.
 */
export async function letGo(deps: WorkerDeps, held: HeldSlot): Promise<void> {
  await release(deps, held);
  if (held.settling) {
    held.settling = false;
    deps.fleet.settling.end();
  }
}

function release(deps: WorkerDeps, held: HeldSlot): Promise<void> {
  if (!held.released) {
    held.stopRenewing();
    held.released = deps.fleet.release(held.lease, held.succeeded).catch(() => undefined);
  }
  return held.released;
}
