import type { ActiveCounts } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

/** What a submit knows before it writes; undefined `fleetVersion`: Redis did not answer. */
export interface KnownSubmitState {
  /** The tenant's queued/held counts kept in Redis; null: not kept (count them in PostgreSQL and seed them); undefined: Redis did not answer. */
  counts: ActiveCounts | null | undefined;
  /** One queued job was added to the kept counts for this submit (release it unless a queued job is committed). */
  reserved: boolean;
  fleetVersion: string | null | undefined;
  /** The fair-share rank of the first job ranked (TenantJobCounts.submitState); null: rank by the counts. */
  firstRank: number | null;
}

/**
 * A submit's one Redis call before its insert (the tenant's counts, the fleet's version token;
 * `reserve`: one queued job counted for it at once, TenantJobCounts.submitState). Without Redis
 * the submit still works from PostgreSQL alone: the counts are counted there and the backends read.
 */
export async function readSubmitState(deps: Pick<ApiDeps, 'counts' | 'logger'>, tenantId: string, reserve = false, rankJobs = 0): Promise<KnownSubmitState> {
  try {
    return await deps.counts.submitState(tenantId, reserve, rankJobs);
  } catch (err) {
    deps.logger.debug({ err: { message: (err as Error).message } }, 'submit state not read from Redis; counting in PostgreSQL');
    return { counts: undefined, reserved: false, fleetVersion: undefined, firstRank: null };
  }
}
