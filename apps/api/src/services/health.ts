import { BackendHealth } from '@gantry/fleet';
import { listBackends } from '@gantry/db';
import { diskSpace } from '@gantry/metrics';
import type { HealthReport } from '@gantry/domain';
import type { ApiDeps } from '../context.js';
import { withTimeout } from '@gantry/domain';
import { checkPostgres, checkRedis } from './dependency-checks.js';

export type { HealthReport };

/** Registered backends and the healthy ones among them (shared health in Redis). */
async function countBackends(deps: ApiDeps): Promise<{ total: number; online: number }> {
  const rows = await listBackends(deps.db);
  const health = new BackendHealth(deps.redis, { prefix: deps.queue.opts.prefix ?? 'gantry' });
  const views = await health.views(rows);
  return { total: rows.length, online: [...views.values()].filter((v) => v.state === 'healthy').length };
}

/**
 * Checks PostgreSQL and Redis with short deadlines, concurrently, and reports the build, the
 * fleet's online backends and the artifact disk. Only PostgreSQL and Redis decide the status.
 */
export async function checkHealth(deps: ApiDeps): Promise<HealthReport> {
  const [postgres, redis, backends, disk] = await Promise.all([
    checkPostgres(deps, 1000),
    checkRedis(deps, 1000),
    withTimeout(countBackends(deps), 1000).catch(() => null),
    deps.config.artifactDir === null ? null : withTimeout(diskSpace(deps.config.artifactDir), 1000).catch(() => null),
  ]);
  return {
    status: postgres.status === 'up' && redis.status === 'up' ? 'ok' : 'degraded',
    version: deps.config.version,
    commit: deps.config.commit,
    uptimeSeconds: Math.round(process.uptime()),
    checks: { postgres, redis },
    backends,
    disk,
  };
}
