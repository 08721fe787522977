import { BackendHealth, SlotLeases } from '@gantry/fleet';
import { announceFleetChange } from '@gantry/queue';
import type { ApiDeps } from '../../context.js';

/** What the backend endpoints read besides PostgreSQL: the shared health and the slot leases. */
export interface BackendContext {
  deps: ApiDeps;
  health: BackendHealth;
  leases: SlotLeases;
  /** After a registration or deletion: every API instance's submit check reads the backends again (best effort: their lists expire too). */
  announceChange(): Promise<void>;
}

/**
 * Builds the readers once per router. The Redis key prefix is the queue's (GANTRY_QUEUE_PREFIX):
 * workers write health and leases under the same prefix.
 */
export function backendContext(deps: ApiDeps): BackendContext {
  const prefix = deps.queue.opts.prefix ?? 'gantry';
  const announceChange = (): Promise<void> =>
    announceFleetChange(deps.redis, prefix).catch((err: unknown) => deps.logger.warn({ err: { message: (err as Error).message } }, 'fleet change not announced in Redis; submit checks see it within 5 s'));
  return { deps, health: new BackendHealth(deps.redis, { prefix }), leases: new SlotLeases(deps.redis, { prefix }), announceChange };
}
