import type { Db } from './db-client.js';

/** Whether the database answers a query (readiness checks; the caller bounds the time). */
export async function pingDatabase(db: Db): Promise<boolean> {
  return (await db.$queryRaw<unknown[]>`SELECT 1`).length === 1;
}

/**
 * Names of the migrations applied to this database (finished, not rolled back), from Prisma's
 * `_prisma_migrations` table; throws when the table does not exist (no migration ever ran).
 */
export async function appliedMigrationNames(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  return rows.map((r) => r.name);
}
