// A throw-away PostgreSQL database per run of the scheduling benchmark, made like
// @gantry/testing's createTestDatabase (same server: TEST_DATABASE_URL or the local default) but
// named `gantry_bench_sched_*`, so a leftover is easy to tell apart from a test's.
import { createTestDatabase } from '@gantry/testing';
import pg from 'pg';

export interface BenchDatabase {
  url: string;
  name: string;
  /** Drops it, closing any connection still open to it (PostgreSQL 13+). Idempotent. */
  drop(): Promise<void>;
}

export function serverUrl(): string {
  return process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
}

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function checkName(name: string): string {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`bad database name ${name}`);
  return name;
}

/** Drops `name` if it exists (safe to register as cleanup before creating it). */
export function dropBenchDatabase(name: string): Promise<void> {
  return onServer(`DROP DATABASE IF EXISTS "${checkName(name)}" WITH (FORCE)`);
}

/** Creates and migrates `name` (lower-case letters, digits and _ only). */
export async function createBenchDatabase(name: string): Promise<BenchDatabase> {
  return createTestDatabase({ name: checkName(name) });
}
