import { BackendHealth, SlotLeases } from '@gantry/fleet';
import type { ApiDeps } from '../../context.js';

/** What the backend endpoints read besides PostgreSQL: the shared health and the slot leases. */
export interface BackendContext {
  deps: ApiDeps;
  health: BackendHealth;
  leases: SlotLeases;
}

/**
 * Builds the readers once per router. The Redis key prefix is the queue's (GANTRY_QUEUE_PREFIX):
 * workers write health and leases under the same prefix.
 */
export function backendContext(deps: ApiDeps): BackendContext {
  const prefix = deps.queue.opts.prefix ?? 'gantry';
  return { deps, health: new BackendHealth(deps.redis, { prefix }), leases: new SlotLeases(deps.redis, { prefix }) };
}
