import { pingRedis } from '@gantry/queue';
import type { ApiDeps } from '../context.js';

export interface DependencyHealth {
  status: 'up' | 'down';
  latencyMs: number;
}

/** Bound on each dependency check: probes answer fast or count as down. */
export const CHECK_TIMEOUT_MS = 2000;

export async function timed(check: () => Promise<boolean>): Promise<DependencyHealth> {
  const start = performance.now();
  const ok = await check().catch(() => false);
  return { status: ok ? 'up' : 'down', latencyMs: Math.round((performance.now() - start) * 10) / 10 };
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]);
}

export function checkPostgres(deps: Pick<ApiDeps, 'db'>, ms = CHECK_TIMEOUT_MS): Promise<DependencyHealth> {
  return timed(async () => (await withTimeout<unknown[]>(deps.db.$queryRaw<unknown[]>`SELECT 1`, ms)).length === 1);
}

export function checkRedis(deps: Pick<ApiDeps, 'redis'>, ms = CHECK_TIMEOUT_MS): Promise<DependencyHealth> {
  return timed(() => pingRedis(deps.redis, ms));
}
