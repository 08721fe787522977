import type { ReadinessReport } from '@gantry/domain';
import { checkStore } from '@gantry/storage';
import type { ApiDeps } from '../context.js';
import { checkPostgres, checkRedis, CHECK_TIMEOUT_MS } from './dependency-checks.js';
import { checkMigrations } from './migration-status.js';

/**
 * PostgreSQL and Redis answer, every migration of this build is applied, and an S3 store answers
 * HeadBucket (artifacts are served from it). Checks run concurrently.
 */
export async function checkReadiness(deps: Pick<ApiDeps, 'db' | 'redis'> & Partial<Pick<ApiDeps, 'store'>>): Promise<ReadinessReport> {
  const [postgres, redis, migrations, storage] = await Promise.all([
    checkPostgres(deps),
    checkRedis(deps),
    checkMigrations(deps.db, CHECK_TIMEOUT_MS),
    checkStore(deps.store, CHECK_TIMEOUT_MS),
  ]);
  const ready = postgres.status === 'up' && redis.status === 'up' && migrations.status === 'up' && storage?.status !== 'down';
  return { status: ready ? 'ready' : 'not_ready', checks: { postgres, redis, migrations, ...(storage ? { storage } : {}) } };
}
