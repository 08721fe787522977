/**
 * Transient database errors: the ones that say "the database could not be reached, or this
 * statement may succeed if run again" (server restart, failover, network blip, exhausted pool,
 * serialization conflict), as opposed to errors about the statement itself (unique violation,
 * missing row, bad input) that would fail the same way every time.
 *
 * The same failure arrives in many shapes, depending on where it was noticed: a node-postgres
 * socket error (`ECONNREFUSED`), a PostgreSQL error with a SQLSTATE (`57P01`), a plain pg/pg-pool
 * `Error` ("Connection terminated unexpectedly", "timeout exceeded when trying to connect"),
 * a Prisma 7 `DriverAdapterError` whose `cause.kind` is `DatabaseNotReachable`, or a Prisma error
 * with a code (`P1001`) and the adapter's error under `meta.driverAdapterError`. The classifier
 * walks every nested error it can find and says yes when any of them is transient.
 */
import { backoffDelay } from '@gantry/domain';
import { chainCodes, errorChain } from './error-chain.js';

/**
 * SQLSTATEs worth another try (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now — the
 * server is restarting or still starting up), 40001/40P01 (serialization failure, deadlock:
 * PostgreSQL rolled the transaction back and asks for a retry), 53300 (too many connections).
 */
const TRANSIENT_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '08007', '57P01', '57P02', '57P03', '40001', '40P01', '53300']);

/**
 * Prisma codes worth another try: P1001 can't reach server, P1002 server timed out, P1008
 * operation timed out, P1017 server closed the connection, P2024 pool timeout, P2028 transaction
 * API error (the interactive transaction was closed under it), P2034 write conflict or deadlock,
 * P2037 too many connections.
 */
const TRANSIENT_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034', 'P2037']);

/**
 * `cause.kind` of a Prisma 7 DriverAdapterError that is transient. @prisma/adapter-pg maps
 * ECONNREFUSED/ENOTFOUND to DatabaseNotReachable, ECONNRESET to ConnectionClosed, ETIMEDOUT to
 * SocketTimeout, 40001/40P01 to TransactionWriteConflict and 53300 to TooManyConnections; other
 * SQLSTATEs arrive as kind `postgres` with `code` (read with the SQLSTATE set above).
 */
const TRANSIENT_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TransactionWriteConflict']);

/**
 * Node socket error codes: the server is down, restarting, unreachable or cut the connection.
 * ENOTFOUND is included because adapter-pg reports it as DatabaseNotReachable (P1001) as well:
 * a database host name that disappears during a failover resolves again a moment later.
 */
const TRANSIENT_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

/**
 * Messages of errors that carry no code, with the reason each gives: node-postgres raises plain
 * `Error`s when a socket ends or a connect attempt times out, and pg-pool when no connection
 * could be had in time. The first match wins, so the specific ones come first.
 */
const TRANSIENT_MESSAGES: Array<[RegExp, string]> = [
  [/timeout exceeded when trying to connect/i, 'pool timeout'], // pg-pool: none free within connectionTimeoutMillis
  [/Timed out fetching a new connection/i, 'pool timeout'], // Prisma's P2024 text
  [/^timeout expired$/, 'connection timed out'], // pg.Client: connect attempt exceeded its connectionTimeoutMillis
  [/Connection terminated due to connection timeout/i, 'connection timed out'], // pg-pool ended a slow connect
  [/Connection terminated/i, 'connection lost'], // pg: "Connection terminated unexpectedly"
  [/terminating connection due to administrator command/i, 'server shutting down'], // 57P01 text, when only the text survived
  [/the database system is (starting up|shutting down|in recovery mode)/i, 'server starting up'], // 57P03 text
  [/Client has encountered a connection error and is not queryable/i, 'connection lost'], // pg: its socket already failed
  [/server closed the connection unexpectedly/i, 'connection lost'], // libpq wording, relayed by proxies (pgbouncer)
];

/** Whether err says the database could not be reached or the statement may succeed if retried. */
export function isTransientDbError(err: unknown): boolean {
  return transientReason(err) !== undefined;
}

/**
 * Why `err` is transient, as a short phrase without host names or addresses (for readiness
 * reports and logs), e.g. `connection refused`, `pool timeout`; undefined when it is not transient.
 * The most specific clue wins: a socket code or SQLSTATE deep in the chain says more than the
 * Prisma code wrapped around it.
 */
export function transientReason(err: unknown): string | undefined {
  const chain = errorChain(err);
  const codes = chainCodes(chain);
  const node = codes.find((c) => TRANSIENT_NODE_CODES.has(c));
  if (node) return NODE_CODE_REASONS[node];
  const sqlstate = codes.find((c) => TRANSIENT_SQLSTATES.has(c));
  if (sqlstate) return sqlstateReason(sqlstate);
  const kind = chain.map((e) => e.kind).find((k): k is string => typeof k === 'string' && TRANSIENT_ADAPTER_KINDS.has(k));
  if (kind) return ADAPTER_KIND_REASONS[kind];
  const messages = chain.map((e) => e.message).filter((m): m is string => typeof m === 'string');
  const matched = TRANSIENT_MESSAGES.find(([re]) => messages.some((m) => re.test(m)));
  if (matched) return matched[1];
  const prisma = codes.find((c) => TRANSIENT_PRISMA_CODES.has(c));
  return prisma ? PRISMA_CODE_REASONS[prisma] : undefined;
}

/** Lasting failures worth naming in a readiness report: the configuration, not the moment, is wrong. */
const LASTING_REASONS: Array<{ codes: string[]; kind: string; reason: string }> = [
  { codes: ['28P01', '28000', 'P1000', 'P1010'], kind: 'AuthenticationFailed', reason: 'authentication failed' },
  { codes: ['3D000', 'P1003'], kind: 'DatabaseDoesNotExist', reason: 'database does not exist' },
  { codes: ['P1011'], kind: 'TlsConnectionError', reason: 'TLS error' },
];

/**
 * A short phrase saying why a database call failed, fit for an unauthenticated readiness probe
 * (no host names, addresses or server messages): the {@link transientReason}, else a lasting
 * cause such as `authentication failed`, else `query failed`.
 */
export function dbErrorReason(err: unknown): string {
  const transient = transientReason(err);
  if (transient) return transient;
  const chain = errorChain(err);
  const codes = new Set(chainCodes(chain));
  const kinds = new Set(chain.map((e) => e.kind));
  return LASTING_REASONS.find((r) => kinds.has(r.kind) || r.codes.some((c) => codes.has(c)))?.reason ?? 'query failed';
}

const NODE_CODE_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection lost',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EAI_AGAIN: 'host name lookup failed',
  ENOTFOUND: 'host name lookup failed',
};

const PRISMA_CODE_REASONS: Record<string, string> = {
  P1001: 'server unreachable',
  P1002: 'server timed out',
  P1008: 'operation timed out',
  P1017: 'connection closed',
  P2024: 'pool timeout',
  P2028: 'transaction closed',
  P2034: 'write conflict',
  P2037: 'too many connections',
};

const ADAPTER_KIND_REASONS: Record<string, string> = {
  DatabaseNotReachable: 'server unreachable',
  ConnectionClosed: 'connection closed',
  SocketTimeout: 'connection timed out',
  TooManyConnections: 'too many connections',
  TransactionWriteConflict: 'write conflict',
};

function sqlstateReason(code: string): string {
  if (code.startsWith('08')) return 'connection lost';
  if (code === '57P03') return 'server starting up';
  if (code.startsWith('57P')) return 'server shutting down';
  if (code === '53300') return 'too many connections';
  return code === '40P01' ? 'deadlock' : 'serialization failure';
}

/** Options of {@link withDbRetry}. */
export interface DbRetryOptions {
  /** Stops retrying when aborted (the last error is thrown; before any attempt, the abort reason). */
  signal?: AbortSignal;
  /** No retry starts later than this many ms after the first attempt; default 30 000. */
  deadlineMs?: number;
  /** Ceiling of the first backoff delay, doubling per attempt; default 50 ms. */
  baseMs?: number;
  /** Largest backoff delay; default 2 000 ms, so a restarted server is noticed within ~2 s. */
  maxMs?: number;
  /** Called before each wait, e.g. to log; `attempt` is the 1-based number of the failed attempt. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Clock in ms (tests inject one); default Date.now. */
  now?: () => number;
  /** Waits `ms`, rejecting when `signal` aborts (tests inject one); default a timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Runs fn, retrying transient database errors with exponential backoff + jitter until it
 * succeeds, a non-transient error is thrown, the signal aborts, or deadlineMs (default 30_000)
 * passes (then the last error is thrown).
 *
 * fn must be safe to run again: a statement whose connection died may or may not have committed,
 * so wrap idempotent reads, guarded updates or whole transactions, never a bare non-idempotent write.
 */
export async function withDbRetry<T>(fn: () => Promise<T>, options: DbRetryOptions = {}): Promise<T> {
  const { signal, onRetry } = options;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const backoff = { baseMs: options.baseMs ?? 50, maxMs: options.maxMs ?? 2_000 };
  const deadline = now() + (options.deadlineMs ?? 30_000);
  signal?.throwIfAborted();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      const remaining = deadline - now();
      if (!isTransientDbError(err) || remaining <= 0 || signal?.aborted) throw err;
      // The last wait is cut short so one more attempt runs right at the deadline.
      const delayMs = Math.min(backoffDelay(attempt, backoff), remaining);
      onRetry?.(err, attempt, delayMs);
      try {
        await sleep(delayMs, signal);
      } catch {
        throw err; // aborted while waiting: the database error says more than the abort
      }
      if (signal?.aborted) throw err;
    }
  }
}

/** Resolves after `ms`, or rejects when `signal` aborts first; the timer never outlives it. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
