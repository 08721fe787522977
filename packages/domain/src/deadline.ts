import type { DependencyHealth } from './api-views.js';

/**
 * Settles like `promise`, or rejects with `timeoutError()` when it has not settled within `ms`.
 * The timer never outlives the race.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, timeoutError: () => Error = () => new Error(`timed out after ${ms} ms`)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A dependency check (health, readiness): `up` when `check` resolves true within `ms`; `down` when
 * it resolves false, throws or is too slow. Reports how long it took.
 */
export async function timedCheck(check: () => Promise<boolean>, ms: number): Promise<DependencyHealth> {
  const start = performance.now();
  const ok = await withTimeout(Promise.resolve().then(check), ms).catch(() => false);
  return { status: ok ? 'up' : 'down', latencyMs: Math.round((performance.now() - start) * 10) / 10 };
}
