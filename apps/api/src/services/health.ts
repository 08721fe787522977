import { pingRedis } from '@gantry/queue';
import type { DependencyHealth, HealthReport } from '@gantry/domain';
import type { ApiDeps } from '../context.js';

async function timed(check: () => Promise<boolean>): Promise<DependencyHealth> {
  const start = performance.now();
  const ok = await check().catch(() => false);
  return { status: ok ? 'up' : 'down', latencyMs: Math.round((performance.now() - start) * 10) / 10 };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}

/** Checks PostgreSQL and Redis with short deadlines, concurrently. */
export async function checkHealth(deps: ApiDeps): Promise<HealthReport> {
  const [postgres, redis] = await Promise.all([
    timed(async () => (await withTimeout<unknown[]>(deps.db.$queryRaw<unknown[]>`SELECT 1`, 1000)).length === 1),
    timed(() => pingRedis(deps.redis, 1000)),
  ]);
  return {
    status: postgres.status === 'up' && redis.status === 'up' ? 'ok' : 'degraded',
    version: deps.config.version,
    uptimeSeconds: Math.round(process.uptime()),
    checks: { postgres, redis },
  };
}
