/**
 * The errors nested in a database error. The same failure arrives wrapped differently depending on
 * where it was noticed (a node-postgres error, a Prisma 7 DriverAdapterError, a Prisma known
 * request error carrying the adapter's error under `meta.driverAdapterError`), so classifiers
 * look at every error of the chain rather than at the outermost one.
 */

/** How deep nested causes are followed; real chains are 3-4 levels, this guards against cycles. */
const MAX_DEPTH = 8;

/** `err` and every error nested in it, breadth first, each once, at most {@link MAX_DEPTH} deep. */
export function errorChain(err: unknown): Array<Record<string, unknown>> {
  const chain: Array<Record<string, unknown>> = [];
  const seen = new Set<unknown>();
  let level: unknown[] = [err];
  for (let depth = 0; depth <= MAX_DEPTH && level.length > 0; depth += 1) {
    const next: unknown[] = [];
    for (const value of level) {
      if (typeof value !== 'object' || value === null || seen.has(value)) continue;
      seen.add(value);
      chain.push(value as Record<string, unknown>);
      next.push(...nestedErrors(value as Record<string, unknown>));
    }
    level = next;
  }
  return chain;
}

/** Every code the chain carries: SQLSTATEs, Prisma codes, socket codes (`code`, `errorCode`, `originalCode`). */
export function chainCodes(chain: Array<Record<string, unknown>>): string[] {
  return chain.flatMap((e) => [e.code, e.errorCode, e.originalCode].filter((c): c is string => typeof c === 'string'));
}

/** Errors nested in `e`: `cause`, Prisma's `meta.driverAdapterError`, AggregateError's `errors`. */
function nestedErrors(e: Record<string, unknown>): unknown[] {
  const nested: unknown[] = [e.cause];
  const meta = e.meta as Record<string, unknown> | undefined;
  if (meta && typeof meta === 'object') nested.push(meta.driverAdapterError);
  if (Array.isArray(e.errors)) nested.push(...e.errors);
  return nested;
}
