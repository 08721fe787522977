/**
 * Connecting the migrator: creating the target database when it does not exist yet (what
 * `prisma migrate dev` does, and what a fresh CI or air-gapped host needs) and opening a session
 * on Prisma's schema.
 */
import pg from 'pg';

import { parseDatabaseUrl, quoteIdent, withDatabase } from '../connection.js';

/** SQLSTATEs meaning "someone else created it first" during a CREATE DATABASE race. */
const ALREADY_EXISTS = new Set(['42P04', '23505']);

/** Whether the database exists, found by connecting to it (needs no access to other databases). */
async function databaseExists(connectionString: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString });
  try {
    await probe.connect();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return false; // invalid_catalog_name
    throw err;
  } finally {
    await probe.end().catch(() => undefined);
  }
}

/**
 * Creates the database named in `databaseUrl` if it is missing, connecting to the server's
 * `postgres` maintenance database to do so. Safe to call concurrently. Returns whether it created it.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const { connectionString, database } = parseDatabaseUrl(databaseUrl);
  if (await databaseExists(connectionString)) return false;
  const admin = new pg.Client({ connectionString: parseDatabaseUrl(withDatabase(databaseUrl, 'postgres')).connectionString });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    return true;
  } catch (err) {
    if (ALREADY_EXISTS.has((err as { code?: string }).code ?? '')) return false;
    throw err;
  } finally {
    await admin.end();
  }
}

/**
 * Opens a session like Prisma's schema engine does: search_path set to the URL's `schema` parameter
 * (default `public`), creating that schema if it does not exist.
 */
export async function openMigrationSession(databaseUrl: string): Promise<pg.Client> {
  const { connectionString, schema = 'public' } = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString, application_name: 'gantry-migrate' });
  await client.connect();
  try {
    // Check first, as Prisma does: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
    // when the schema exists, which a least-privilege migration role may not have.
    const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (!rowCount) await client.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
}
