/** Read-only view of the migration state, for readiness checks. */
import pg from 'pg';

import { parseDatabaseUrl, quoteIdent } from '../connection.js';
import { listAppliedMigrations, tableNames } from './bookkeeping.js';
import { defaultMigrationsDir, readMigrationsFolder } from './directory.js';

/**
 * Names of the folder's migrations that are not (successfully) applied to the database at
 * `databaseUrl`: all of them when the database or its history table does not exist yet, and a
 * migration whose row never finished counts as pending. Changes nothing; takes no lock.
 */
export async function pendingMigrations(databaseUrl: string, options: { migrationsDir?: string } = {}): Promise<string[]> {
  const folder = await readMigrationsFolder(options.migrationsDir ?? defaultMigrationsDir());
  const all = folder.migrations.map((m) => m.name);
  const { connectionString, schema = 'public' } = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString, application_name: 'gantry-migrate-status' });
  try {
    await client.connect();
  } catch (err) {
    if ((err as { code?: string }).code === '3D000') return all; // invalid_catalog_name: no database yet
    throw err;
  }
  try {
    await client.query(`SET search_path TO ${quoteIdent(schema)}`);
    if (!(await tableNames(client)).includes('_prisma_migrations')) return all;
    const done = new Set(
      (await listAppliedMigrations(client))
        .filter((m) => m.finishedAt !== null && m.rolledBackAt === null)
        .map((m) => m.migrationName),
    );
    return all.filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}
