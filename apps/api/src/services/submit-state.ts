import type { ActiveCounts } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

/** What a submit knows before it writes; undefined `fleetVersion`: Redis did not answer. */
export interface KnownSubmitState {
  /** The tenant's queued/held counts kept in Redis; null: not kept (count them in PostgreSQL and seed them); undefined: Redis did not answer. */
  counts: ActiveCounts | null | undefined;
  fleetVersion: string | null | undefined;
}

/**
 * A submit's one Redis read (the tenant's counts and the fleet's version token). Without Redis the
 * submit still works from PostgreSQL alone: the counts are counted there and the backends read.
 */
export async function readSubmitState(deps: Pick<ApiDeps, 'counts' | 'logger'>, tenantId: string): Promise<KnownSubmitState> {
  try {
    return await deps.counts.submitState(tenantId);
  } catch (err) {
    deps.logger.debug({ err: { message: (err as Error).message } }, 'submit state not read from Redis; counting in PostgreSQL');
    return { counts: undefined, fleetVersion: undefined };
  }
}
