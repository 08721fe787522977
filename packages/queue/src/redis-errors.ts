/**
 * Errors that say "Redis cannot serve this command right now" (down, restarting, failing over,
 * loading its data, a command that timed out), as opposed to a bug in the command. ioredis raises
 * them in several shapes, recognised here by name or message since they carry no codes: a
 * command timeout (`commandTimeout`), a closed or unwritable connection, a cluster or sentinel
 * set with no reachable node, retries exhausted (`maxRetriesPerRequest`), and the replies of a
 * server that is up but cannot serve (LOADING, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, READONLY).
 */
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError']);

const UNAVAILABLE_MESSAGES = [
  /^Command timed out$/,
  /^Connection is closed\.?$/,
  /^Stream isn't writeable/,
  /^None of startup nodes is available/,
  /^Failed to refresh slots cache/,
  /^All sentinels are unreachable/,
  /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/,
];

/** How deep `cause` is followed (an AppError wrapping the ioredis error, ...). */
const MAX_DEPTH = 5;

/** Whether `err` (or an error it wraps as `cause`) says Redis is unavailable right now. */
export function isRedisUnavailableError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < MAX_DEPTH && typeof current === 'object' && current !== null; depth++) {
    const e = current as { name?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.some((re) => re.test(e.message as string))) return true;
    current = e.cause;
  }
  return false;
}
