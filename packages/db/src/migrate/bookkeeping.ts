/**
 * Prisma's `_prisma_migrations` table, created and written exactly like Prisma's schema engine does
 * (sql-schema-connector: flavour/postgres.rs `create_migrations_table`, sql_migration_persistence.rs),
 * so `prisma migrate deploy` and this migrator can take turns on one database.
 *
 * The table is unqualified on purpose, as in Prisma: it lives in the connection's current schema.
 */
import { randomUUID } from 'node:crypto';

import type { ClientBase } from 'pg';

/** Prisma's DDL for the migrations table on PostgreSQL, verbatim. */
export const MIGRATIONS_TABLE_DDL = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);
`;

/** One row of `_prisma_migrations`. */
export interface AppliedMigration {
  id: string;
  checksum: string;
  finishedAt: Date | null;
  migrationName: string;
  logs: string | null;
  rolledBackAt: Date | null;
  startedAt: Date;
  appliedStepsCount: number;
}

/** Names of the ordinary tables in the connection's current schema. */
export async function tableNames(client: ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()`,
  );
  return rows.map((r) => r.name);
}

/** Creates the table (caller checked it is missing, holding the advisory lock). */
export async function createMigrationsTable(client: ClientBase): Promise<void> {
  await client.query(MIGRATIONS_TABLE_DDL);
}

/** All rows, oldest first (Prisma orders by started_at too). */
export async function listAppliedMigrations(client: ClientBase): Promise<AppliedMigration[]> {
  const { rows } = await client.query(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at ASC`,
  );
  return rows.map((r) => ({
    id: r.id,
    checksum: r.checksum,
    finishedAt: r.finished_at,
    migrationName: r.migration_name,
    logs: r.logs,
    rolledBackAt: r.rolled_back_at,
    startedAt: r.started_at,
    appliedStepsCount: r.applied_steps_count,
  }));
}

/**
 * Prisma's `record_migration_started`: a v4 UUID id, the checksum, the client's clock as started_at,
 * logs and finished_at left NULL, applied_steps_count at its default 0. Returns the id.
 */
export async function recordMigrationStarted(client: ClientBase, name: string, checksum: string): Promise<string> {
  const id = randomUUID();
  await client.query(
    'INSERT INTO _prisma_migrations (id, checksum, started_at, migration_name) VALUES ($1, $2, $3, $4)',
    [id, checksum, new Date(), name],
  );
  return id;
}

/** Prisma's `record_successful_step` then `record_migration_finished`: one step done, finished now. */
export async function recordMigrationFinished(client: ClientBase, id: string): Promise<void> {
  await client.query('UPDATE _prisma_migrations SET applied_steps_count = applied_steps_count + 1 WHERE id = $1', [id]);
  await client.query('UPDATE _prisma_migrations SET finished_at = $1 WHERE id = $2', [new Date(), id]);
}
