/** The offline, Prisma-compatible migrator. */
export { migrateDatabase, type MigrateOptions } from './apply.js';
export { MIGRATIONS_TABLE_DDL, type AppliedMigration } from './bookkeeping.js';
export { checksumMatches, migrationChecksum } from './checksum.js';
export { ensureDatabase } from './database.js';
export { defaultMigrationsDir, readMigrationsFolder, type MigrationFile, type MigrationsFolder } from './directory.js';
export { MigrationError, type MigrationErrorCode } from './errors.js';
export { PRISMA_MIGRATE_LOCK_KEY } from './lock.js';
export { pendingMigrations } from './pending.js';
