/**
 * Database URL handling shared by the client factory and the migrator.
 *
 * The URLs are Prisma-style PostgreSQL URLs. node-postgres understands most of them, but not
 * Prisma's own `schema` parameter, which selects the PostgreSQL schema (search_path) that Prisma
 * Migrate and the adapter use; we strip it and carry it separately.
 */

/** A DATABASE_URL split into what node-postgres needs and what only Prisma understands. */
export interface ParsedDatabaseUrl {
  /** The URL without Prisma-only parameters, for node-postgres. */
  connectionString: string;
  /** Database name (the URL path), decoded. */
  database: string;
  /** Prisma's `?schema=` parameter, if any (PostgreSQL schema, default `public`). */
  schema: string | undefined;
}

/** Parameters only Prisma understands; node-postgres would pass them to the server or choke. */
const PRISMA_ONLY_PARAMS = ['schema', 'connection_limit', 'pool_timeout', 'connect_timeout', 'pgbouncer', 'statement_cache_size'];

/** Splits a Prisma-style PostgreSQL URL. Throws on a URL without a database name. */
export function parseDatabaseUrl(databaseUrl: string): ParsedDatabaseUrl {
  const url = new URL(databaseUrl);
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`Not a PostgreSQL URL (protocol ${url.protocol})`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('The database URL names no database (expected postgresql://host/<db>)');
  const schema = url.searchParams.get('schema') ?? undefined;
  for (const name of PRISMA_ONLY_PARAMS) url.searchParams.delete(name);
  return { connectionString: url.toString(), database, schema };
}

/** The same server and credentials, another database (e.g. `postgres` to create the target db). */
export function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

/** Quotes a PostgreSQL identifier (database, schema or table name). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
