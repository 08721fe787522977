/**
 * Throw-away PostgreSQL databases for integration tests. Each test file gets its own freshly
 * migrated database, so files run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';

import { migrateDatabase } from '@gantry/db';
import pg from 'pg';

/** Server to create test databases on; its own database is only used to CREATE/DROP them. */
const DEFAULT_BASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A database created for one test file. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Its name, `gantry_t_<random>`. */
  name: string;
  /** Drops it, closing any connection still open to it. Idempotent. */
  drop(): Promise<void>;
}

/** Options of {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /** Apply prisma/migrations (default true); false gives an empty database, e.g. to test migrations. */
  migrate?: boolean;
  /** The database's name (lower-case letters, digits, _); default `gantry_t_<random>`. */
  name?: string;
}

/** The server URL from TEST_DATABASE_URL, or the local default. */
export function testServerUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_BASE_URL;
}

async function onServer<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testServerUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a database with a random name on the test server and (by default) migrates it.
 * Call `drop()` in afterAll.
 *
 * @example
 * let db: TestDatabase;
 * beforeAll(async () => { db = await createTestDatabase(); });
 * afterAll(() => db.drop());
 */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = options.name ?? `gantry_t_${randomBytes(6).toString('hex')}`;
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`bad database name ${name}`);
  const url = new URL(testServerUrl());
  url.pathname = `/${name}`;
  await onServer((client) => client.query(`CREATE DATABASE "${name}"`));
  const drop = (): Promise<void> =>
    // FORCE (PostgreSQL 13+): a test that forgot to disconnect must not leave the database behind.
    onServer((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined);
  if (options.migrate !== false) {
    try {
      await migrateDatabase(url.toString());
    } catch (err) {
      await drop().catch(() => undefined);
      throw err;
    }
  }
  return { url: url.toString(), name, drop };
}
