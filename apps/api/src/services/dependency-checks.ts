import { dbErrorReason, pingDatabase } from '@gantry/db';
import { timedCheck, type DependencyHealth } from '@gantry/domain';
import { pingRedis } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

/** Bound on each dependency check: probes answer fast or count as down. */
export const CHECK_TIMEOUT_MS = 2000;

/** `SELECT 1`; when it fails, `reason` says why (`connection refused`, `pool timeout`...), never where. */
export function checkPostgres(deps: Pick<ApiDeps, 'db'>, ms = CHECK_TIMEOUT_MS): Promise<DependencyHealth> {
  return timedCheck(() => pingDatabase(deps.db), ms, dbErrorReason);
}

export function checkRedis(deps: Pick<ApiDeps, 'redis'>, ms = CHECK_TIMEOUT_MS): Promise<DependencyHealth> {
  return timedCheck(() => pingRedis(deps.redis, ms), ms);
}
