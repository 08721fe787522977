import type { ApiDeps } from '../context.js';
import { checkPostgres, checkRedis, CHECK_TIMEOUT_MS, type DependencyHealth } from './dependency-checks.js';
import { checkMigrations, type MigrationStatus } from './migration-status.js';

/** `GET /readyz`: whether this instance should get traffic. */
export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  checks: { postgres: DependencyHealth; redis: DependencyHealth; migrations: MigrationStatus };
}

/** PostgreSQL and Redis answer, and every migration of this build is applied. Checks run concurrently. */
export async function checkReadiness(deps: Pick<ApiDeps, 'db' | 'redis'>): Promise<ReadinessReport> {
  const [postgres, redis, migrations] = await Promise.all([checkPostgres(deps), checkRedis(deps), checkMigrations(deps.db, CHECK_TIMEOUT_MS)]);
  const ready = postgres.status === 'up' && redis.status === 'up' && migrations.status === 'up';
  return { status: ready ? 'ready' : 'not_ready', checks: { postgres, redis, migrations } };
}
