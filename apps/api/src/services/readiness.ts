import type { ReadinessReport } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { checkPostgres, checkRedis, CHECK_TIMEOUT_MS } from './dependency-checks.js';
import { checkMigrations } from './migration-status.js';

/** PostgreSQL and Redis answer, and every migration of this build is applied. Checks run concurrently. */
export async function checkReadiness(deps: Pick<ApiDeps, 'db' | 'redis'>): Promise<ReadinessReport> {
  const [postgres, redis, migrations] = await Promise.all([checkPostgres(deps), checkRedis(deps), checkMigrations(deps.db, CHECK_TIMEOUT_MS)]);
  const ready = postgres.status === 'up' && redis.status === 'up' && migrations.status === 'up';
  return { status: ready ? 'ready' : 'not_ready', checks: { postgres, redis, migrations } };
}
