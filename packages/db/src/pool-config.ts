/**
 * Connection pool settings: defaults, the Prisma-style parameters of the database URL, and
 * explicit overrides (the processes pass their GANTRY_DB_* variables), in that order of rising
 * precedence. The URL is often one secret shared with other tools (Prisma CLI, psql, backups);
 * an operator tuning one deployment sets a variable instead of editing that secret, so the
 * variable wins.
 */

/** How the node-postgres pool behind the Prisma client is sized and timed. */
export interface PoolSettings {
  /** Most connections open at once (Prisma `connection_limit`). */
  max: number;
  /**
   * How long a query may wait for a connection in all, queueing for a free one or opening a new
   * one, before it fails with a transient "pool timeout" (Prisma `pool_timeout`); 0 = no limit.
   */
  poolTimeoutMs: number;
  /** How long opening one new connection may take (Prisma `connect_timeout`); 0 = no limit. */
  connectTimeoutMs: number;
  /** An idle connection is closed after this long; 0 = never. */
  idleTimeoutMs: number;
}

/** Prisma's defaults for the timeouts; 10 connections (the pool size Gantry always had). */
export const DEFAULT_POOL_SETTINGS: Readonly<PoolSettings> = {
  max: 10,
  poolTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  idleTimeoutMs: 30_000,
};

/** Thrown for a pool parameter in the database URL that is not a valid number. */
export class InvalidPoolParameterError extends Error {
  readonly code = 'INVALID_POOL_PARAMETER';
  constructor(readonly parameter: string, expected: string) {
    super(`Database URL parameter ${parameter} must be ${expected}`);
    this.name = 'InvalidPoolParameterError';
  }
}

/**
 * The pool settings a Prisma-style URL asks for: `connection_limit` (connections),
 * `pool_timeout` and `connect_timeout` (seconds, fractions allowed, as Prisma reads them).
 * Only the parameters present are returned.
 */
export function poolSettingsFromUrl(databaseUrl: string): Partial<PoolSettings> {
  const params = new URL(databaseUrl).searchParams;
  const settings: Partial<PoolSettings> = {};
  const limit = params.get('connection_limit');
  if (limit !== null) {
    if (!/^\d+$/.test(limit) || Number(limit) < 1) throw new InvalidPoolParameterError('connection_limit', 'a whole number of connections, at least 1');
    settings.max = Number(limit);
  }
  const poolTimeout = seconds(params, 'pool_timeout');
  if (poolTimeout !== undefined) settings.poolTimeoutMs = poolTimeout;
  const connectTimeout = seconds(params, 'connect_timeout');
  if (connectTimeout !== undefined) settings.connectTimeoutMs = connectTimeout;
  return settings;
}

/** Defaults, then the URL's parameters, then the overrides that are set. */
export function resolvePoolSettings(databaseUrl: string, overrides: Partial<PoolSettings> = {}): PoolSettings {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<PoolSettings>;
  return { ...DEFAULT_POOL_SETTINGS, ...poolSettingsFromUrl(databaseUrl), ...defined };
}

/** A non-negative number of seconds from the URL, as whole milliseconds; undefined when absent. */
function seconds(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  if (!/^\d+(\.\d+)?$/.test(value)) throw new InvalidPoolParameterError(name, 'a non-negative number of seconds');
  return Math.round(Number(value) * 1000);
}

/** The pool variables of the shared environment schema (domain commonEnvSchema). */
export interface DbPoolEnv {
  GANTRY_DB_POOL_MAX?: number | undefined;
  GANTRY_DB_POOL_TIMEOUT_MS?: number | undefined;
  GANTRY_DB_CONNECT_TIMEOUT_MS?: number | undefined;
  GANTRY_DB_IDLE_TIMEOUT_MS?: number | undefined;
}

/** The GANTRY_DB_* variables as createPrisma options (unset ones stay undefined: URL or default). */
export function poolOptionsFromEnv(env: DbPoolEnv): { poolSize?: number; poolTimeoutMs?: number; connectTimeoutMs?: number; idleTimeoutMs?: number } {
  return {
    ...(env.GANTRY_DB_POOL_MAX !== undefined ? { poolSize: env.GANTRY_DB_POOL_MAX } : {}),
    ...(env.GANTRY_DB_POOL_TIMEOUT_MS !== undefined ? { poolTimeoutMs: env.GANTRY_DB_POOL_TIMEOUT_MS } : {}),
    ...(env.GANTRY_DB_CONNECT_TIMEOUT_MS !== undefined ? { connectTimeoutMs: env.GANTRY_DB_CONNECT_TIMEOUT_MS } : {}),
    ...(env.GANTRY_DB_IDLE_TIMEOUT_MS !== undefined ? { idleTimeoutMs: env.GANTRY_DB_IDLE_TIMEOUT_MS } : {}),
  };
}
