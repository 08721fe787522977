import type { DependencyHealth } from '@gantry/contract';

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
 * it resolves false, throws or is too slow, with a `reason`: `timed out`, `unexpected answer`, or
 * what `describe` makes of the thrown error (default `error`). `describe` must return a phrase fit
 * for an unauthenticated probe: no host names, addresses or messages of the error itself.
 * Reports how long it took.
 */
export async function timedCheck(
  check: () => Promise<boolean>,
  ms: number,
  describe: (err: unknown) => string | undefined = () => undefined,
): Promise<DependencyHealth> {
  const start = performance.now();
  const timedOut = new Error('timed out');
  const reason = await withTimeout(Promise.resolve().then(check), ms, () => timedOut).then(
    (ok) => (ok ? undefined : 'unexpected answer'),
    (err: unknown) => (err === timedOut ? 'timed out' : (describe(err) ?? 'error')),
  );
  const latencyMs = Math.round((performance.now() - start) * 10) / 10;
  return reason === undefined ? { status: 'up', latencyMs } : { status: 'down', latencyMs, reason };
}
