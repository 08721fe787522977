/**
 * Checks of the migration history (the `_prisma_migrations` rows against the folder) made before
 * anything is applied. Each failure is a refusal with an operator-facing explanation.
 */
import type { AppliedMigration } from './bookkeeping.js';
import { checksumMatches } from './checksum.js';
import type { MigrationFile, MigrationsFolder } from './directory.js';
import { MigrationError } from './errors.js';

/** Refuses a folder whose lock file names another provider, or with a folder lacking migration.sql. */
export function assertFolderUsable(folder: MigrationsFolder): void {
  if (folder.provider !== undefined && folder.provider !== 'postgresql') {
    throw new MigrationError(
      'PROVIDER_MISMATCH',
      `${folder.dir}/migration_lock.toml is for provider "${folder.provider}", but this migrator only applies "postgresql" migrations.`,
    );
  }
  const missing = folder.migrations.filter((m) => m.script === undefined);
  if (missing.length) {
    throw new MigrationError(
      'MIGRATION_SCRIPT_MISSING',
      `Migration folder(s) without a readable migration.sql: ${missing.map((m) => m.scriptPath).join(', ')}`,
    );
  }
}

/**
 * Prisma's P3009 rule: a row that started but never finished and was not rolled back means a
 * migration failed half-way (Prisma's migrate deploy records failures this way). Applying anything
 * on top of an unknown state could make it worse, so a human has to resolve it first.
 */
export function assertNoFailedMigrations(applied: AppliedMigration[]): void {
  const failed = applied.filter((m) => m.finishedAt === null && m.rolledBackAt === null);
  if (!failed.length) return;
  const details = failed
    .map((m) => `- \`${m.migrationName}\` started at ${m.startedAt.toISOString()} failed${m.logs?.trim() ? `:\n${m.logs.trim()}` : ''}`)
    .join('\n');
  throw new MigrationError(
    'FAILED_MIGRATION_FOUND',
    `Found failed migrations in the target database; new migrations will not be applied.\n${details}\n` +
      'Fix the database by hand, then mark the migration with `prisma migrate resolve --applied|--rolled-back <name>` ' +
      '(or update its _prisma_migrations row the same way).',
  );
}

/**
 * Refuses when an applied migration's file no longer matches the checksum recorded when it was
 * applied: the database was built from different SQL than the repository now holds.
 */
export function assertChecksumsMatch(applied: AppliedMigration[], folder: MigrationsFolder): void {
  const byName = new Map(folder.migrations.map((m) => [m.name, m]));
  const edited = applied.filter((row) => {
    const file = byName.get(row.migrationName);
    return row.rolledBackAt === null && file?.script !== undefined && !checksumMatches(file.script, row.checksum);
  });
  if (!edited.length) return;
  throw new MigrationError(
    'CHECKSUM_MISMATCH',
    `Migration file(s) changed after they were applied: ${edited.map((m) => m.migrationName).join(', ')}. ` +
      'Restore the original migration.sql and put the change in a new migration.',
  );
}

/** Migrations of the folder without a live (not rolled back) row, in apply order — Prisma's rule. */
export function unappliedMigrations(applied: AppliedMigration[], folder: MigrationsFolder): MigrationFile[] {
  const done = new Set(applied.filter((m) => m.rolledBackAt === null).map((m) => m.migrationName));
  return folder.migrations.filter((m) => !done.has(m.name));
}
