/**
 * The offline equivalent of `prisma migrate deploy`: applies the pending migrations of a Prisma
 * migrations folder and keeps Prisma's `_prisma_migrations` bookkeeping, under Prisma's lock.
 */
import type { ClientBase } from 'pg';

import { parseDatabaseUrl } from '../connection.js';
import {
  createMigrationsTable,
  listAppliedMigrations,
  recordMigrationFinished,
  recordMigrationStarted,
  tableNames,
} from './bookkeeping.js';
import { ensureDatabase, openMigrationSession } from './database.js';
import { defaultMigrationsDir, readMigrationsFolder, type MigrationFile } from './directory.js';
import { MigrationError } from './errors.js';
import { assertChecksumsMatch, assertFolderUsable, assertNoFailedMigrations, unappliedMigrations } from './history.js';
import { withMigrateLock } from './lock.js';

/** Options of {@link migrateDatabase}. */
export interface MigrateOptions {
  /** Prisma migrations folder; defaults to the repository's `prisma/migrations`. */
  migrationsDir?: string;
  /** Receives one line per step (database created, migration applied, ...). */
  log?: (message: string) => void;
  /** How long to wait for another migrator's advisory lock; default 60 s. */
  lockTimeoutMs?: number;
}

/**
 * Prisma's `initialize`: create `_prisma_migrations` in an empty schema; refuse a schema that has
 * tables but no history (it was not built by migrations, so it must be baselined first).
 */
async function initializeHistory(client: ClientBase): Promise<void> {
  const tables = await tableNames(client);
  if (tables.includes('_prisma_migrations')) return;
  if (tables.length) {
    throw new MigrationError(
      'SCHEMA_NOT_EMPTY',
      `The database schema is not empty (tables: ${tables.join(', ')}) and has no _prisma_migrations table. ` +
        'Baseline it first: https://pris.ly/d/migrate-baseline',
    );
  }
  await createMigrationsTable(client);
}

/** Where a PostgreSQL error points in the script, as "line N", when it says. */
function errorLine(script: string, err: unknown): string {
  const position = Number((err as { position?: string }).position);
  if (!position) return '';
  return ` (line ${script.slice(0, position - 1).split('\n').length})`;
}

/**
 * Applies one migration in a single transaction with its bookkeeping row, so a failure leaves no
 * trace at all: the database is exactly as before and the migration stays pending. (Prisma instead
 * leaves a failed row that must be resolved by hand; a script with its own COMMIT still breaks
 * this atomicity, as it would under Prisma.)
 */
async function applyMigration(client: ClientBase, migration: MigrationFile): Promise<void> {
  const script = migration.script ?? '';
  await client.query('BEGIN');
  try {
    const id = await recordMigrationStarted(client, migration.name, migration.checksum ?? '');
    // No parameters: node-postgres uses the simple query protocol, which runs multi-statement scripts.
    await client.query(script);
    await recordMigrationFinished(client, id);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const code = (err as { code?: string }).code;
    throw new MigrationError(
      'APPLY_FAILED',
      `Migration \`${migration.name}\` failed to apply${errorLine(script, err)}: ${(err as Error).message}` +
        `${code ? ` [${code}]` : ''}. It was rolled back; nothing was recorded.`,
      { cause: err },
    );
  }
}

/**
 * Brings the database at `databaseUrl` up to date with the migrations folder: creates the database
 * if needed, takes Prisma's advisory lock, refuses a failed or edited history, then applies each
 * pending migration in its own transaction. Idempotent. Returns the names it applied, in order.
 */
export async function migrateDatabase(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const log = options.log ?? (() => undefined);
  const folder = await readMigrationsFolder(options.migrationsDir ?? defaultMigrationsDir());
  assertFolderUsable(folder);
  if (await ensureDatabase(databaseUrl)) log(`Created database "${parseDatabaseUrl(databaseUrl).database}"`);

  const client = await openMigrationSession(databaseUrl);
  try {
    return await withMigrateLock(client, options.lockTimeoutMs ?? 60_000, async () => {
      await initializeHistory(client);
      const applied = await listAppliedMigrations(client);
      assertNoFailedMigrations(applied);
      assertChecksumsMatch(applied, folder);
      const pending = unappliedMigrations(applied, folder);
      for (const migration of pending) {
        log(`Applying migration \`${migration.name}\``);
        await applyMigration(client, migration);
      }
      log(pending.length ? `Applied ${pending.length} migration(s).` : 'No pending migrations.');
      return pending.map((m) => m.name);
    });
  } finally {
    await client.end();
  }
}
