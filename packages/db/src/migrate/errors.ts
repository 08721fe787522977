/** Why the migrator refused to run or stopped. Stable strings: scripts and tests switch on them. */
export type MigrationErrorCode =
  /** The migrations folder does not exist. */
  | 'MIGRATIONS_DIR_NOT_FOUND'
  /** A migration folder has no readable migration.sql. */
  | 'MIGRATION_SCRIPT_MISSING'
  /** migration_lock.toml names another provider (Prisma's P3019). */
  | 'PROVIDER_MISMATCH'
  /** Tables exist but no `_prisma_migrations`: needs baselining (Prisma's P3005). */
  | 'SCHEMA_NOT_EMPTY'
  /** A migration started earlier never finished and was not rolled back (Prisma's P3009). */
  | 'FAILED_MIGRATION_FOUND'
  /** An applied migration's file was edited after it was applied. */
  | 'CHECKSUM_MISMATCH'
  /** Another migrator held Prisma's advisory lock for too long. */
  | 'LOCK_TIMEOUT'
  /** A migration's SQL failed; its transaction was rolled back. */
  | 'APPLY_FAILED';

/** An error of the offline migrator, with a code and a message meant for an operator. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
