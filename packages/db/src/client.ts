/**
 * The Prisma client factory. Prisma 7's client runs no query engine binary: queries are compiled
 * in WebAssembly and sent through a driver adapter, here `@prisma/adapter-pg` over a node-postgres
 * pool, so nothing has to be downloaded to run it.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

import { parseDatabaseUrl, quoteIdent } from './connection.js';
import { PrismaClient, type Prisma } from './generated/client.js';
import { resolvePoolSettings } from './pool-config.js';
import { poolTypes } from './timestamptz.js';

/**
 * Options of {@link createPrisma}. Pool settings left undefined come from the URL's Prisma-style
 * parameters (`connection_limit`, `pool_timeout`, `connect_timeout`), else the defaults
 * (pool-config.ts DEFAULT_POOL_SETTINGS).
 */
export interface CreatePrismaOptions {
  /** Maximum connections in the pool; default `connection_limit` or 10. */
  poolSize?: number;
  /** How long a query may wait for a connection in all (queue + connect), in ms; default `pool_timeout` or 10 000; 0 = no limit. */
  poolTimeoutMs?: number;
  /** How long opening one connection may take, in ms; default `connect_timeout` or 5 000; 0 = no limit. */
  connectTimeoutMs?: number;
  /** Idle connections are closed after this many ms; default 30 000. */
  idleTimeoutMs?: number;
  /** `application_name` shown in pg_stat_activity, to tell services apart. */
  applicationName?: string;
  /** Prisma log levels to emit (to stdout/stderr, Prisma's default handlers). */
  log?: Prisma.LogLevel[];
  /** Called for errors of idle pool connections (e.g. the server restarted); default: ignore. */
  onPoolError?: (err: Error) => void;
}

/**
 * A PrismaClient for `databaseUrl` (a Prisma-style PostgreSQL URL; `?schema=`, `connection_limit`,
 * `pool_timeout` and `connect_timeout` are honoured). The pool opens lazily; call `$disconnect()`
 * to close it.
 */
export function createPrisma(databaseUrl: string, options: CreatePrismaOptions = {}): PrismaClient {
  const { connectionString, schema } = parseDatabaseUrl(databaseUrl);
  const pool = resolvePoolSettings(databaseUrl, {
    max: options.poolSize,
    poolTimeoutMs: options.poolTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
  });
  // The pool is built here rather than by the adapter so the hot read paths (src/reads) can send
  // their SQL straight through it: the same connections, without Prisma's per-query overhead.
  const pgPool = new pg.Pool({
    connectionString,
    max: pool.max,
    // pg-pool has one timeout for both waiting in its queue and opening a connection for the
    // waiter; it bounds the whole wait, like Prisma's pool_timeout.
    connectionTimeoutMillis: pool.poolTimeoutMs,
    idleTimeoutMillis: pool.idleTimeoutMs,
    // Each connection attempt gets its own, usually shorter, bound (see connectTimeoutClient).
    Client: connectTimeoutClient(pool.connectTimeoutMs),
    // timestamptz read by position rather than three regular expressions (the hot reads' rows carry
    // several each); the same Dates. Prisma's queries parse their own (the adapter's types).
    types: poolTypes,
    ...(options.applicationName ? { application_name: options.applicationName } : {}),
    // Prisma qualifies its tables with the schema; raw reads rely on the search path instead.
    ...(schema ? { options: `-c search_path=${quoteIdent(schema)}` } : {}),
  });
  // The adapter adds its listener (onPoolError) when Prisma first connects; a raw read may come
  // first, and an idle connection's error without any listener would crash the process.
  pgPool.on('error', () => undefined);
  // pg-pool listens to a client's errors only while it is idle. A checked-out client with no
  // query active (a result arrived and its release has not run yet; a raw read's client between
  // statements) has none: a server that terminates connections (a restart, a failover,
  // pg_terminate_backend) then makes pg emit an 'error' nobody handles, which ends the process.
  // The next statement on that client still fails and is classified as transient (transient.ts);
  // this listener only keeps the event from being fatal (pool.int.test.ts).
  pgPool.on('connect', (client) => client.on('error', () => undefined));
  const adapter = new PrismaPg(
    pgPool,
    {
      ...(schema ? { schema } : {}),
      // $disconnect() ends the pool, as it did when the adapter built it.
      disposeExternalPool: true,
      // Without a listener, an idle connection's error (server restart) crashes the process.
      onPoolError: options.onPoolError ?? (() => undefined),
    },
  );
  // The log option changes the client's type parameters; callers see the plain PrismaClient type.
  const client = new PrismaClient({ adapter, ...(options.log ? { log: options.log } : {}) }) as PrismaClient;
  pools.set(client, pgPool);
  return client;
}

const pools = new WeakMap<object, pg.Pool>();

/**
/**
 * The node-postgres pool under a client made by createPrisma: undefined for a transaction client,
 * a client built elsewhere, or after $disconnect (the adapter ended it). For statements on a hot
 * path where measurement shows Prisma's per-query cost matters (src/reads; a batch insert's
 * megabyte of JSON: bench/README.md). Errors come as pg's own (SQLSTATE in `code`), which the
 * classifiers of this package read as well.
 */
export function pgPoolOf(db: object): pg.Pool | undefined {
  const pool = pools.get(db);
  return pool && !pool.ended ? pool : undefined;
}

/** pgPoolOf for the reads, which are only ever given a live client of createPrisma. */
export function poolOf(db: object): pg.Pool {
  const pool = pgPoolOf(db);
  if (!pool) throw new Error('poolOf: not a client made by createPrisma, or disconnected');
  return pool;
}

/**
 * A pg.Client class whose connect attempts time out after `ms`. pg-pool builds its clients from
 * the pool's own options, which carry the pool timeout; this class replaces that one value, so
 * a server that accepts TCP but never answers (a half-dead host, a stuck proxy) fails the attempt
 * early instead of using up the query's whole pool timeout.
 */
function connectTimeoutClient(ms: number): typeof pg.Client {
  return class ConnectTimeoutClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super(typeof config === 'string' ? { connectionString: config, connectionTimeoutMillis: ms } : { ...config, connectionTimeoutMillis: ms });
    }
  };
}
