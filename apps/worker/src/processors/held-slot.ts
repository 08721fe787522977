import type { Logger } from '@gantry/logger';
import { keepLeaseAlive, type Lease } from '@gantry/fleet';
import type { WorkerDeps } from './context.js';

/** A backend slot this worker holds for a job's prompt: renewed until let go. */
export interface HeldSlot {
  lease: Lease;
  stopRenewing: () => void;
  /** The job succeeded: its backend's strikes are forgiven with the release. */
  succeeded: boolean;
}

/** Keeps `lease` alive (renewed within its TTL) until `letGo`. */
export function holdSlot(deps: WorkerDeps, lease: Lease, log: Logger): HeldSlot {
  const onLost = () => log.warn({ backend: lease.backendId }, 'backend slot lease lost; another job may share the backend');
  return { lease, stopRenewing: keepLeaseAlive(deps.fleet.leases, lease, onLost, deps.clock), succeeded: false };
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

/** Stops renewing and frees the slot (to a job of this worker waiting for one, if any); never throws. */
export async function letGo(deps: WorkerDeps, held: HeldSlot): Promise<void> {
  held.stopRenewing();
  await deps.fleet.release(held.lease, held.succeeded).catch(() => undefined);
}
