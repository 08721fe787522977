import type { Logger } from '@gantry/logger';
import type { WorkerDeps } from './context.js';
import { freeAtPromptEnd, type HeldSlot } from './held-slot.js';

/**
 * Queue-ahead (GANTRY_QUEUE_AHEAD, with GANTRY_SLOT_LEAD_MS): the slot of a prompt running on its
 * backend is freed once the prompt is within the lead of its expected end (SlotsEnding, by the
 * backend's pace), not at its end: freeAtPromptEnd hands it to this worker's earliest job waiting
 * for one, or announces it. The next job's prompt then waits in the backend's own queue (ComfyUI
 * runs its queue in order) and starts the moment this one ends: the GPU does not idle while the
 * end is noticed, the slot handed over, the `dispatched` change written and the prompt sent. At
 * most one prompt waits ahead of each running one: a prompt frees its slot early only once it runs
 * itself (its `started` event), never while it waits behind another. Returns what to call at the
 * prompt's start (a no-op when queue-ahead is off).
 */
export function queueAheadAtStart(deps: WorkerDeps, held: HeldSlot, log: Logger): () => void {
  if (!deps.config.queueAhead) return () => undefined;
  return () =>
    deps.fleet.ending.whenSoon(held.lease.leaseId, () => {
      log.debug({ backend: held.lease.backendId }, 'prompt near its expected end: its slot goes to the next job, whose prompt waits in the backend queue');
      // Its prompt still runs: a prompt sent to this GPU now waits about that long (the tail rule counts it).
      freeAtPromptEnd(deps, held, log, deps.fleet.ending.remainingMs(held.lease.leaseId));
    });
}
