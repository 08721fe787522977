/**
 * The Prisma client factory. Prisma 7's client runs no query engine binary: queries are compiled
 * in WebAssembly and sent through a driver adapter, here `@prisma/adapter-pg` over a node-postgres
 * pool, so nothing has to be downloaded to run it.
 */
import { PrismaPg } from '@prisma/adapter-pg';

import { parseDatabaseUrl } from './connection.js';
import { PrismaClient, type Prisma } from './generated/client.js';

/** Options of {@link createPrisma}. */
export interface CreatePrismaOptions {
  /** Maximum connections in the pool (node-postgres `max`); default 10. */
  poolSize?: number;
  /** How long to wait for a free connection before failing, in ms; default 10 000. */
  connectionTimeoutMs?: number;
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
 * A PrismaClient for `databaseUrl` (a Prisma-style PostgreSQL URL; `?schema=` is honoured).
 * The pool opens lazily; call `$disconnect()` to close it.
 */
export function createPrisma(databaseUrl: string, options: CreatePrismaOptions = {}): PrismaClient {
  const { connectionString, schema } = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    {
      connectionString,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    },
    {
      ...(schema ? { schema } : {}),
      // Without a listener, an idle connection's error (server restart) crashes the process.
      onPoolError: options.onPoolError ?? (() => undefined),
    },
  );
  // The log option changes the client's type parameters; callers see the plain PrismaClient type.
  return new PrismaClient({ adapter, ...(options.log ? { log: options.log } : {}) }) as PrismaClient;
}
